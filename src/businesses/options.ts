/**
 * Options every business accepts (mobu's `BusinessOptions`), as a schema to extend.
 * @module
 */
import { z } from "zod";
import { duration } from "../config/duration.js";

/** Options shared by all businesses. Objects are strict: an unknown key is an error. */
export const baseOptionsShape = {
  error_idle_time: duration("Pause after a failed iteration before the next one").default(60_000),
  idle_time: duration("Pause between iterations").default(60_000),
  log_level: z
    .enum(["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"])
    .default("INFO")
    .meta({ description: "Level of the monkey's own log", examples: ["INFO"] }),
  jitter: duration("Random extra delay (0..jitter) before start-up and added to each idle").default(0),
};

/** Schema of the base options alone (EmptyLoop uses exactly these). */
export const baseOptionsSchema = z.strictObject(baseOptionsShape);
export type BaseOptions = z.output<typeof baseOptionsSchema>;
