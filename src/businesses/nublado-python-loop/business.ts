/**
 * NubladoPythonLoop: in each iteration, open one kernel session in the bot's lab and run
 * `code` `max_executions` times, `execution_idle_time` apart; then close the session and,
 * with `delete_lab`, delete the lab.
 * @module
 */
import { LabBusiness } from "../jupyter-lab/base.js";
import type { NubladoPythonLoopOptions } from "./options.js";

export class NubladoPythonLoop extends LabBusiness<NubladoPythonLoopOptions> {
  protected async execute(): Promise<void> {
    const session = await this.openSession("troop-python-loop");
    try {
      for (let i = 0; i < this.options.max_executions; i++) {
        if (i > 0 && !(await this.pause(this.options.execution_idle_time, "execution_idle"))) return;
        await this.runCode(session, this.options.code);
      }
    } finally {
      await this.closeSession(session);
    }
    if (this.options.delete_lab) await this.deleteLab();
  }
}
