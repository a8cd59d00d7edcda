/** Registry entry of EmptyLoop. @module */
import { defineBusiness } from "../types.js";
import { EmptyLoop } from "./business.js";
import { emptyLoopOptionsSchema } from "./options.js";

export const emptyLoop = defineBusiness({
  type: "EmptyLoop",
  description: "Does nothing; measures the harness itself",
  optionsSchema: emptyLoopOptionsSchema,
  create: (ctx) => new EmptyLoop(ctx),
});
