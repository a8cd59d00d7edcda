/** EmptyLoop: does nothing each iteration. Measures the harness itself. @module */
import { Business } from "../base.js";
import type { BaseOptions } from "../options.js";

export class EmptyLoop extends Business<BaseOptions> {
  protected async execute(): Promise<void> {
    await this.phase("execute", 1000, async () => undefined);
  }
}
