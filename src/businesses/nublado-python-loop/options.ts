/** Options of NubladoPythonLoop (mobu's `NubladoPythonLoopOptions`). @module */
import { z } from "zod";
import { labOptionsShape } from "../jupyter-lab/options.js";

export const nubladoPythonLoopOptionsSchema = z.strictObject({
  ...labOptionsShape,
  code: z.string().default('print(2+2, end="")').meta({ description: "Python code to run", examples: ["print(1+1)"] }),
  max_executions: z.number().int().min(1).default(25).meta({ description: "Executions of the code per session; then the session ends" }),
});
export type NubladoPythonLoopOptions = z.output<typeof nubladoPythonLoopOptionsSchema>;
