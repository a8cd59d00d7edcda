/** Registry entry of NubladoPythonLoop (old name JupyterPythonLoop). @module */
import { defineBusiness } from "../types.js";
import { NubladoPythonLoop } from "./business.js";
import { nubladoPythonLoopOptionsSchema } from "./options.js";

export const nubladoPythonLoop = defineBusiness({
  type: "NubladoPythonLoop",
  aliases: ["JupyterPythonLoop"],
  description: "Spawns a lab and runs Python code through the kernel websocket",
  optionsSchema: nubladoPythonLoopOptionsSchema,
  create: (ctx) => new NubladoPythonLoop(ctx),
  usesLab: true,
});
