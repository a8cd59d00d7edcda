/**
 * Results against the real JupyterHub: a flock whose code fails every third run (a counter
 * file in each lab's home), then the stored history, its phase timelines, the pagination, the
 * windowed figures and the /metrics histograms are checked against each other.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseExposition } from "../support/prom-text.js";
import { scheduledFailure } from "../support/scheduled-failure.js";
import { pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");
const schedule = scheduledFailure(3);
const MONKEYS = ["bot-sched1", "bot-sched2"];

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe("execution history on a real JupyterHub", () => {
  let troop: TestTroop;
  let history: any[] = [];
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: "logLevel: debug\nshutdownTimeout: 60s\nhistory: { flushInterval: 100ms }\n" });
    const put = await troop.api("PUT", "/flocks", pythonFlock("sched", { count: 2, prefix: "bot-sched", code: schedule.code, options: { error_idle_time: "0.2s", jupyter_timeout: "90s", spawn_timeout: "180s" } }));
    expect(put.status).toBe(201);
    await waitFor(
      "7 executions per monkey",
      async () => {
        const ms = await Promise.all(MONKEYS.map((m) => troop.api("GET", `/flocks/sched/monkeys/${m}`)));
        return ms.every((m) => m.body.business.success_count + m.body.business.failure_count >= 7);
      },
      240_000,
      500,
    );
    await troop.api("POST", "/flocks/sched/pause"); // freeze: nothing new while we compare
    let cursor: string | null = null;
    do {
      const page: any = await troop.api("GET", `/flocks/sched/executions?limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.executions.length).toBeLessThanOrEqual(4);
      history.push(...page.body.executions);
      cursor = page.body.next_cursor;
    } while (cursor);
  }, 300_000);
  afterAll(async () => {
    await troop?.api("DELETE", "/flocks/sched");
    await troop?.close();
  });

  it("stores every execution, newest first, failing exactly on schedule", async () => {
    const summary = (await troop.api("GET", "/flocks/sched/summary")).body;
    expect(history).toHaveLength(summary.success_count + summary.failure_count);
    expect(history.map((e) => e.id)).toEqual(history.map((e) => e.id).sort().reverse());
    for (const monkey of MONKEYS) {
      const runs = history.filter((e) => e.monkey === monkey).reverse(); // oldest first
      expect(runs.length).toBeGreaterThanOrEqual(7);
      const unexpected = runs.find((e) => e.result === "failure" && e.error?.failure_class !== "code_error");
      if (unexpected) console.log("unexpected failure", JSON.stringify(unexpected.error));
      expect(runs.map((e) => e.result)).toEqual(runs.map((_, i) => (schedule.fails(i + 1) ? "failure" : "success")));
      const counter = join(hub.stateDir, "users", monkey, schedule.file);
      if (existsSync(counter)) expect(Number(readFileSync(counter, "utf8"))).toBeGreaterThanOrEqual(runs.length); // +1 if pause cut a run short
    }
    const failures = history.filter((e) => e.result === "failure");
    const filtered = (await troop.api("GET", "/flocks/sched/executions?result=failure&limit=1000")).body.executions;
    expect(filtered.map((e: { id: string }) => e.id)).toEqual(failures.map((e) => e.id));
    for (const f of failures) expect(f.error).toMatchObject({ phase: "execute_code", failure_class: "code_error", exception: "ValueError" });
    const one = (await troop.api("GET", `/flocks/sched/executions?monkey=bot-sched2&limit=1000`)).body.executions;
    expect(one.map((e: { id: string }) => e.id)).toEqual(history.filter((e) => e.monkey === "bot-sched2").map((e) => e.id));
  });

  it("keeps each execution's phase timeline and its full record", async () => {
    for (const e of history) {
      const start = Date.parse(e.started_at);
      const end = Date.parse(e.ended_at);
      let previous = start;
      for (const p of e.phases) {
        const t = Date.parse(p.started_at);
        expect(t).toBeGreaterThanOrEqual(previous);
        expect(t + p.duration_ms).toBeLessThanOrEqual(end + 1);
        previous = t;
      }
      const names = e.phases.map((p: { name: string }) => p.name);
      expect(names).toEqual(expect.arrayContaining(["lab_status", "create_session", "execute_setup", "execute_code", "delete_session"]));
      expect(e.phases.find((p: { name: string }) => p.name === "execute_code").ok).toBe(e.result === "success");
    }
    for (const monkey of MONKEYS) {
      const first = history.filter((e) => e.monkey === monkey).at(-1); // start-up runs in the first iteration
      expect(first.phases.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["hub_login", "spawn_lab"]));
    }
    const failed = history.find((e) => e.result === "failure");
    const detail = (await troop.api("GET", `/executions/${failed.id}`)).body;
    expect(detail.record.error.traceback).toMatch(/ValueError: scheduled failure \d+/);
    expect(detail.record.error.code).toBe(schedule.code);
    expect(JSON.parse(detail.raw)).toEqual(detail.record);
    expect(detail.links.monkey_log).toBe(`/flocks/sched/monkeys/${failed.monkey}/log`);
  });

  it("gives windowed figures that match the history", async () => {
    const w = (await troop.api("GET", "/flocks/sched/summary")).body.windows;
    const all = (await troop.api("GET", "/summary")).body.flocks.find((f: { name: string }) => f.name === "sched");
    expect(all.windows).toEqual(w);
    const failures = history.filter((e) => e.result === "failure").length;
    for (const name of ["1h", "24h", "7d"]) {
      expect(w[name]).toMatchObject({ executions: history.length, successes: history.length - failures, failures, skipped: 0, failure_classes: { code_error: failures } });
      expect(w[name].success_rate).toBeCloseTo((history.length - failures) / history.length, 3);
    }
    const durations = new Map<string, number[]>();
    for (const e of history) for (const p of e.phases) durations.set(p.name, [...(durations.get(p.name) ?? []), p.duration_ms]);
    for (const [phase, values] of durations) {
      const got = w["1h"].phases[phase];
      expect(got.count).toBe(values.length);
      for (const [q, key] of [[0.5, "p50_ms"], [0.95, "p95_ms"]] as const) {
        const want = exactQuantile(values, q);
        expect(Math.abs(got[key] - want)).toBeLessThanOrEqual(want * 0.025 + 1);
      }
    }
  });

  it("exposes /metrics whose histogram counts match the history", async () => {
    const m = parseExposition((await troop.api("GET", "/metrics")).raw);
    const count = (result: string) => history.filter((e) => e.result === result).length;
    expect(m.sum("troop_executions_total", { flock: "sched", business: "NubladoPythonLoop", result: "success" })).toBe(count("success"));
    expect(m.sum("troop_executions_total", { flock: "sched", result: "failure" })).toBe(count("failure"));
    expect(m.sum("troop_failures_total", { flock: "sched", phase: "execute_code", failure_class: "code_error" })).toBe(count("failure"));
    expect(m.sum("troop_execution_duration_seconds_count", { flock: "sched" })).toBe(history.length);
    const phases = new Map<string, number>();
    for (const e of history) for (const p of e.phases) phases.set(p.name, (phases.get(p.name) ?? 0) + 1);
    for (const [phase, n] of phases) {
      expect(m.sum("troop_phase_duration_seconds_count", { flock: "sched", phase })).toBe(n);
      expect(m.sum("troop_phase_duration_seconds_bucket", { flock: "sched", phase, le: "+Inf" })).toBe(n);
    }
    expect(m.sum("troop_monkeys", { flock: "sched", state: "paused" })).toBe(2);
  });
});
