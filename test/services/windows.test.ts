/**
 * Rolling windows and their tallies: exact counts, quantiles within 2.5 %, buckets leaving a
 * window subtracted exactly, per notebook figures.
 */
import { describe, expect, it } from "vitest";
import { binOf, quantile, Tally, valueOfBin } from "../../src/services/results/tally.js";
import { RollingWindows } from "../../src/services/results/windows.js";
import type { ExecutionSample } from "../../src/store/history-types.js";

const T0 = Date.parse("2026-11-20T12:00:00Z");
const sample = (startedMs: number, extra: Partial<ExecutionSample> = {}): ExecutionSample => ({
  flock: "f",
  startedMs,
  result: "success",
  failureClass: null,
  phases: [["execute_code", 100]],
  notebook: null,
  notebookMs: null,
  ...extra,
});

function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe("tally", () => {
  it("estimates quantiles within 2.5 % of the exact nearest-rank value", () => {
    const values = Array.from({ length: 5000 }, (_, i) => Math.round(5 + ((i * 7919) % 100_000) * Math.abs(Math.sin(i))));
    const bins = new Map<number, number>();
    for (const v of values) bins.set(binOf(v), (bins.get(binOf(v)) ?? 0) + 1);
    for (const q of [0.5, 0.95, 0.99]) {
      const want = exact(values, q);
      expect(Math.abs(quantile(bins, q)! - want)).toBeLessThanOrEqual(want * 0.025 + 0.5);
    }
    expect(quantile(new Map(), 0.5)).toBe(null);
    expect(valueOfBin(binOf(0.3))).toBe(0);
  });

  it("subtracts exactly what it added", () => {
    const a = new Tally();
    const b = new Tally();
    b.add(sample(T0, { result: "failure", failureClass: "timeout", notebook: "n.ipynb", notebookMs: 40 }));
    b.add(sample(T0));
    a.add(sample(T0, { result: "skipped" }));
    a.merge(b, 1);
    a.merge(b, -1);
    expect(a).toMatchObject({ executions: 1, successes: 0, failures: 0, skipped: 1 });
    expect(a.classes.size).toBe(0);
    expect(a.notebooks.size).toBe(0);
    expect([...a.phases.get("execute_code")!.values()]).toEqual([1]);
  });
});

describe("rolling windows", () => {
  it("counts each window by start time and forgets what leaves it", () => {
    let now = T0;
    const w = new RollingWindows(() => now);
    w.add(sample(T0 - 3 * 86_400_000)); // 3 days ago: 7d only
    w.add(sample(T0 - 2 * 3_600_000, { result: "failure", failureClass: "timeout", phases: [["spawn_lab", 60_000]] })); // 2 h ago: 24h, 7d
    for (let i = 0; i < 10; i++) w.add(sample(T0 - i * 60_000, { phases: [["execute_code", 100 + i * 10]] })); // last 10 min
    w.add(sample(T0 - 30_000, { result: "failure", failureClass: "code_error" }));
    const s = w.stats("f");
    expect(s["1h"]).toMatchObject({ executions: 11, successes: 10, failures: 1, skipped: 0, success_rate: 0.9091, failure_classes: { code_error: 1 } });
    expect(s["24h"]).toMatchObject({ executions: 12, failures: 2, failure_classes: { code_error: 1, timeout: 1 } });
    expect(s["7d"].executions).toBe(13);
    const code = s["1h"].phases["execute_code"]!;
    expect(code.count).toBe(11);
    expect(Math.abs(code.p50_ms! - 140)).toBeLessThanOrEqual(140 * 0.025);
    expect(Math.abs(code.p95_ms! - 190)).toBeLessThanOrEqual(190 * 0.025);
    expect(s["24h"].phases["spawn_lab"]!.count).toBe(1);
    expect(Math.abs(s["24h"].phases["spawn_lab"]!.p50_ms! - 60_000)).toBeLessThan(1500);

    now = T0 + 61 * 60_000; // an hour later: the last 10 minutes left the 1 h window
    expect(w.stats("f")["1h"]).toMatchObject({ executions: 0, success_rate: null, phases: {}, failure_classes: {} });
    expect(w.stats("f")["24h"].executions).toBe(12);
    now = T0 + 8 * 86_400_000; // a week later: everything is gone
    expect(w.stats("f")["7d"]).toMatchObject({ executions: 0, phases: {} });
    w.add(sample(now));
    expect(w.stats("f")["1h"].executions).toBe(1);
    expect(w.stats("nobody")["7d"].executions).toBe(0);
  });

  it("forgets flock names whose windows are all empty", () => {
    let now = T0;
    const w = new RollingWindows(() => now);
    w.add(sample(T0, { flock: "ci-run-1" }));
    now = T0 + 8 * 86_400_000;
    for (let i = 0; i < 10_000; i++) w.add(sample(now, { flock: "f" }));
    expect(w.size).toBe(1);
    expect(w.stats("f")["1h"].executions).toBe(10_000);
  });

  it("gives per-notebook runs, failures and durations", () => {
    const w = new RollingWindows(() => T0);
    for (let i = 1; i <= 20; i++) w.add(sample(T0 - i * 1000, { notebook: "a.ipynb", notebookMs: i * 1000, result: i % 5 === 0 ? "failure" : "success", failureClass: "code_error" }));
    w.add(sample(T0, { notebook: "b.ipynb", notebookMs: 50 }));
    const nb = w.stats("f")["1h"].notebooks;
    expect(nb["a.ipynb"]).toMatchObject({ count: 20, failures: 4 });
    expect(Math.abs(nb["a.ipynb"]!.p50_ms! - 10_000)).toBeLessThanOrEqual(250);
    expect(Math.abs(nb["a.ipynb"]!.p95_ms! - 19_000)).toBeLessThanOrEqual(475);
    expect(nb["b.ipynb"]).toEqual({ count: 1, failures: 0, p50_ms: 50, p95_ms: 50 });
  });

  it("counts executions and failures per clock hour of the last 24 hours, exactly, as time passes", () => {
    const HOUR = 3_600_000;
    let now = T0 + 37 * 60_000; // 12:37
    const w = new RollingWindows(() => now);
    const starts: [number, boolean][] = [];
    for (let i = 0; i < 3000; i++) {
      const t = now - ((i * 7_919_003) % (25 * HOUR)); // spread over the last 25 hours, several per 15 min bucket
      const failed = i % 7 === 0;
      starts.push([t, failed]);
      w.add(sample(t, failed ? { result: "failure", failureClass: "timeout" } : {}));
    }
    w.add(sample(now - HOUR, { result: "skipped" }));
    starts.push([now - HOUR, false]);
    const expected = (at: number) => {
      const first = (Math.floor(at / HOUR) - 23) * HOUR;
      return Array.from({ length: 24 }, (_, h) => {
        const inHour = starts.filter(([t]) => t >= first + h * HOUR && t < first + (h + 1) * HOUR && t <= at);
        return { startMs: first + h * HOUR, executions: inHour.length, failures: inHour.filter(([, f]) => f).length };
      });
    };
    const hours = w.hourly("f");
    expect(hours).toEqual(expected(now));
    expect(hours[0]!.startMs).toBe(Date.parse("2026-11-19T13:00:00Z"));
    expect(hours[23]!.startMs).toBe(Date.parse("2026-11-20T12:00:00Z"));
    expect(hours.reduce((n, h) => n + h.executions, 0)).toBeGreaterThan(2700);
    now += 2 * HOUR + 20 * 60_000; // 14:57: two hours left the window
    expect(w.hourly("f")).toEqual(expected(now));
    expect(w.hourly("nobody")).toEqual(expected(now).map((h) => ({ ...h, executions: 0, failures: 0 })));
  });
});
