/**
 * The base class's guarantees with a scripted business: every phase has a time limit, a stop
 * interrupts any phase, jitter delays start-up, and a failing start-up is retried.
 */
import { describe, expect, it } from "vitest";
import { Business } from "../../src/businesses/base.js";
import { baseOptionsSchema, type BaseOptions } from "../../src/businesses/options.js";
import type { Execution } from "../../src/models/execution.js";
import { waitFor } from "../support/troop.js";
import { testContext } from "./context.js";

class Scripted extends Business<BaseOptions> {
  startups = 0;
  constructor(
    private readonly step: (signal: AbortSignal) => Promise<void>,
    records: Execution[],
    opts: { restart?: boolean; failStartups?: number; options?: Partial<Record<string, unknown>> } = {},
  ) {
    super(testContext({ options: baseOptionsSchema.parse({ idle_time: 0.01, error_idle_time: 0.01, ...opts.options }), restart: opts.restart, onExecution: (r) => records.push(r) }));
    this.failStartups = opts.failStartups ?? 0;
  }
  private failStartups: number;
  protected override async startup(): Promise<void> {
    this.startups++;
    await this.phase("startup_step", 1000, async () => {
      if (this.startups <= this.failStartups) throw new Error("startup broke");
    });
  }
  protected async execute(): Promise<void> {
    await this.phase("work", 200, (s) => this.step(s));
  }
}

const hang = () => new Promise<void>(() => undefined);

describe("Business base class", () => {
  it("fails a phase that overruns with its name and limit, even if the work ignores the signal", async () => {
    const records: Execution[] = [];
    const b = new Scripted(hang, records);
    void b.run();
    await waitFor("a failure", () => b.failureCount >= 1, 5000);
    await b.stop();
    expect(records[0]!.error).toMatchObject({ phase: "work", failure_class: "timeout", message: "work timed out after 200ms" });
    expect(records[0]!.phases.find((p) => p.name === "work")).toMatchObject({ ok: false });
  });

  it("stops at once in the middle of a phase, without counting a failure", async () => {
    const records: Execution[] = [];
    const b = new Scripted((s) => new Promise((_, reject) => s.addEventListener("abort", () => reject(s.reason))), records, { options: {} });
    void b.run();
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    await b.stop();
    expect(Date.now() - t).toBeLessThan(100);
    expect(b.failureCount).toBe(0);
  });

  it("counts a failed start-up and retries it after a restart", async () => {
    const records: Execution[] = [];
    const b = new Scripted(async () => undefined, records, { restart: true, failStartups: 1 });
    void b.run();
    await waitFor("a success", () => b.successCount >= 1, 5000);
    await b.stop();
    expect(b.failureCount).toBe(1);
    expect(records[0]!.error?.phase).toBe("startup_step");
    expect(b.startups).toBe(2);
  });

  it("leaves an emitted record's phases alone when phases run after it (a stop's cleanup)", async () => {
    const records: Execution[] = [];
    class CleansUp extends Scripted {
      protected override async shutdown(): Promise<void> {
        await this.phase("cleanup_step", 1000, async () => undefined, { ignoreStop: true });
      }
    }
    const b = new CleansUp(async () => undefined, records, { options: { idle_time: 10 } });
    void b.run();
    await waitFor("a success", () => b.successCount >= 1, 5000);
    const names = records.map((r) => r.phases.map((p) => p.name));
    await b.stop();
    expect(records.map((r) => r.phases.map((p) => p.name))).toEqual(names);
    expect(names.flat()).not.toContain("cleanup_step");
  });

  it("waits a random share of jitter before starting", async () => {
    const records: Execution[] = [];
    const b = new Scripted(async () => undefined, records, { options: { jitter: 0.4 } });
    (b as unknown as { ctx: { random: () => number } }).ctx.random = () => 1;
    const t = Date.now();
    void b.run();
    await waitFor("a success", () => b.successCount >= 1, 5000);
    await b.stop();
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
  });

  it("yields to the event loop between iterations even with no idle time", async () => {
    const records: Execution[] = [];
    const b = new Scripted(async () => undefined, records, { options: { idle_time: 0 } });
    void b.run();
    const fired = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50));
    await b.stop();
    expect(fired).toBe(true);
    expect(b.successCount).toBeGreaterThan(10);
  });

  it("hands a phase's signal to the next phase only when it was not aborted and nothing listens to it", async () => {
    const records: Execution[] = [];
    const signals: AbortSignal[] = [];
    let n = 0;
    const b = new Scripted(
      async (s) => {
        signals.push(s);
        n++;
        if (n === 2) s.addEventListener("abort", () => undefined); // left behind, as fetch does
        if (n === 4) await hang(); // times out: its signal is aborted
      },
      records,
      { options: { idle_time: 0, error_idle_time: 0 } },
    );
    void b.run();
    await waitFor("six phases", () => signals.length >= 6, 5000);
    await b.stop();
    expect(signals[1]).toBe(signals[0]);
    expect(signals[2]).not.toBe(signals[1]);
    expect(signals[3]).toBe(signals[2]);
    expect(signals[3]!.aborted).toBe(true);
    expect(signals[4]).not.toBe(signals[3]);
    expect(signals[4]!.aborted).toBe(false);
    expect(records[3]!.error).toMatchObject({ phase: "work", failure_class: "timeout" });
  });

  it("wakes a pause at once on stop, and aborts a running phase's signal with StoppedError", async () => {
    const records: Execution[] = [];
    let seen: AbortSignal | null = null;
    const slow = new Scripted(
      (s) => {
        seen = s;
        return new Promise((_, reject) => s.addEventListener("abort", () => reject(s.reason)));
      },
      records,
      { options: { idle_time: 60 } },
    );
    void slow.run();
    await waitFor("the phase", () => seen !== null, 5000);
    await slow.stop();
    expect(seen!.aborted).toBe(true);
    expect((seen!.reason as Error).name).toBe("StoppedError");
    expect(records).toHaveLength(0); // interrupted by stop: not a result

    const idle = new Scripted(async () => undefined, records, { options: { idle_time: 60 } });
    void idle.run();
    await waitFor("a success", () => idle.successCount >= 1, 5000);
    await new Promise((r) => setTimeout(r, 20)); // in its 60 s idle
    expect(idle.currentPhase).toBe("idle");
    const t = Date.now();
    await idle.stop();
    expect(Date.now() - t).toBeLessThan(100);
    expect(idle.state).toBe("stopped");
  });
});
