/** Options of EmptyLoop: only the base options. @module */
import { baseOptionsSchema } from "../options.js";

export const emptyLoopOptionsSchema = baseOptionsSchema;
