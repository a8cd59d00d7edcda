/**
 * The lifecycle contract every business must pass (run by each business's test file): it
 * counts successes, stops promptly even mid-pause, counts a failure without stopping, and
 * with `restart` goes on after a failure.
 */
import { expect, it } from "vitest";
import type { Business } from "../../src/businesses/base.js";
import type { Execution } from "../../src/models/execution.js";
import { waitFor } from "../support/troop.js";

export interface ContractFixture {
  /** Build the business; `failing` makes each iteration fail (null if the business cannot fail on demand). */
  make(opts: { failing: boolean; restart: boolean; idleMs: number; onExecution: (r: Execution) => void }): Business;
  canFail: boolean;
}

export function businessContract(fixture: () => ContractFixture): void {
  const records: Execution[] = [];
  const make = (failing: boolean, restart: boolean, idleMs: number) => fixture().make({ failing, restart, idleMs, onExecution: (r) => records.push(r) });

  it("counts successful iterations and records each with its phases", async () => {
    records.length = 0;
    const b = make(false, false, 10);
    void b.run();
    await waitFor("two successes", () => b.successCount >= 2, 30_000);
    await b.stop();
    expect(b.failureCount).toBe(0);
    expect(records[0]).toMatchObject({ result: "success", error: null });
    expect(records[0]!.phases.length).toBeGreaterThan(0);
    expect(b.state).toBe("stopped");
  });

  it("stops promptly in the middle of a long idle", async () => {
    const b = make(false, false, 3_600_000);
    void b.run();
    await waitFor("one success", () => b.successCount >= 1, 30_000);
    await waitFor("idle", () => b.state === "idle");
    const t = Date.now();
    await b.stop();
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it("counts a failure with its phase and keeps the monkey going (restart: false)", async ({ skip }) => {
    if (!fixture().canFail) skip();
    records.length = 0;
    const b = make(true, false, 10);
    void b.run();
    await waitFor("two failures", () => b.failureCount >= 2, 30_000);
    await b.stop();
    const failure = records.find((r) => r.result === "failure")!;
    expect(failure.error?.phase).toBeTruthy();
    expect(failure.error?.message).toBeTruthy();
  });

  it("keeps going after failures with restart: true", async ({ skip }) => {
    if (!fixture().canFail) skip();
    const b = make(true, true, 10);
    void b.run();
    await waitFor("two failures", () => b.failureCount >= 2, 30_000);
    await b.stop();
    expect(b.state).toBe("stopped");
  });
}
