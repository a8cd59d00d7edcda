/**
 * Options of every business that spawns a lab on the hub (mobu's `NubladoBusinessOptions`),
 * plus the kernel and execution limits Troop adds.
 * @module
 */
import { z } from "zod";
import { duration } from "../../config/duration.js";
import { baseOptionsShape } from "../options.js";

const imageSize = z
  .string()
  .default("Large")
  .meta({ description: "Lab size from the spawn form (Nublado); ignored by plain JupyterHub", examples: ["Large"] });

const imageCommon = {
  size: imageSize,
  debug: z.boolean().default(false).meta({ description: "Spawn the lab with debugging enabled (Nublado)" }),
};

/** Which image to spawn: a class of image resolved by the hub, a tag, or a full reference. */
export const imageSchema = z
  .discriminatedUnion("image_class", [
    z.strictObject({
      image_class: z.enum(["recommended", "latest-release", "latest-weekly", "latest-daily"]),
      ...imageCommon,
    }),
    z.strictObject({ image_class: z.literal("by-tag"), tag: z.string().min(1), ...imageCommon }),
    z.strictObject({ image_class: z.literal("by-reference"), reference: z.string().min(1), ...imageCommon }),
  ])
  .default({ image_class: "recommended", size: "Large", debug: false })
  .meta({ description: "Image to spawn", examples: [{ image_class: "latest-weekly", size: "Large" }] });
export type ImageSpec = z.output<typeof imageSchema>;

/** Options of every lab-spawning business. */
export const labOptionsShape = {
  ...baseOptionsShape,
  image: imageSchema,
  delete_lab: z.boolean().default(true).meta({ description: "Delete the lab after each iteration" }),
  delete_timeout: duration("Limit for the lab to be gone after deletion").default(60_000),
  execution_idle_time: duration("Pause between two executions of code within one session").default(1000),
  get_node: z.boolean().default(true).meta({ description: "Accepted for mobu compatibility (Rubin labs report their node)" }),
  jupyter_timeout: duration("Limit for each request to the hub or the lab").default(60_000),
  max_websocket_message_size: z.number().int().positive().nullable().default(null).meta({ description: "Largest kernel websocket message in bytes; null for no limit" }),
  spawn_settle_time: duration("Wait after requesting a spawn before following its progress").default(10_000),
  spawn_timeout: duration("Limit for a lab to become ready").default(610_000),
  url_prefix: z.string().default("/nb/").meta({ description: "Accepted for mobu compatibility; unused" }),
  working_directory: z.string().nullable().default(null).meta({ description: "Directory the kernel changes into before running code" }),
  execution_timeout: duration("Limit for one execution of code (mobu has none)").default(300_000),
  user_options: z
    .record(z.string(), z.unknown())
    .default({})
    .meta({ description: "Extra user_options sent when spawning on a plain JupyterHub (e.g. a KubeSpawner profile)", examples: [{ profile: "small" }] }),
  kernel_name: z.string().nullable().default(null).meta({ description: "Kernel to start; the lab's default kernel when null", examples: ["python3"] }),
};
