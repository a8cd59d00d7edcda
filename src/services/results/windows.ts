/**
 * Rolling windows of 1 h, 24 h and 7 d per flock, kept in memory so that `GET /summary` costs
 * the same with ten or ten million stored executions. Each window is a ring of time buckets
 * (1 min, 15 min and 2 h wide) plus a running total: an execution is added to its bucket and
 * to the total; a bucket leaving the window is subtracted from the total. Executions are
 * placed by start time. At start-up the windows are rebuilt from the stored history.
 * @module
 */
import type { Execution } from "../../models/execution.js";
import { WINDOW_NAMES, type WindowName, type Windows, type WindowStats } from "../../models/results.js";
import type { ExecutionSample } from "../../store/history-types.js";
import { quantile, Tally } from "./tally.js";

/** Length and bucket width of each window. */
export const WINDOW_SPECS: Record<WindowName, { windowMs: number; bucketMs: number }> = {
  "1h": { windowMs: 3_600_000, bucketMs: 60_000 },
  "24h": { windowMs: 86_400_000, bucketMs: 900_000 },
  "7d": { windowMs: 604_800_000, bucketMs: 7_200_000 },
};

const HOUR_MS = 3_600_000;
/** Hours of {@link RollingWindows.hourly}. */
export const HOURS = 24;

/** The longest window: how far back the history is read at start-up. */
export const LONGEST_WINDOW_MS = WINDOW_SPECS["7d"].windowMs;

/** What the windows keep of an execution record. */
export function sampleOf(r: Execution): ExecutionSample | null {
  if (r.flock === null) return null;
  return {
    flock: r.flock,
    startedMs: Date.parse(r.started_at),
    result: r.result,
    failureClass: r.error?.failure_class ?? null,
    phases: r.phases.map((p) => [p.name, p.duration_ms]),
    notebook: r.notebook?.path ?? r.error?.notebook ?? null,
    notebookMs: r.notebook ? r.notebook.cells.reduce((s, c) => s + c.duration_ms, 0) : null,
  };
}

/** One window: buckets in a ring (index = bucket number mod size) and their running total. */
class Ring {
  readonly total = new Tally();
  private readonly buckets: ({ index: number; tally: Tally } | undefined)[];
  private current = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly bucketMs: number,
    private readonly size: number,
  ) {
    this.buckets = new Array(size);
  }

  /** Move the window's end to `nowMs`, subtracting buckets that left it. */
  advance(nowMs: number): void {
    const c = Math.floor(nowMs / this.bucketMs);
    if (c <= this.current) return;
    const from = c - this.current >= this.size ? c - this.size + 1 : this.current + 1;
    this.current = c;
    for (let i = from; i <= c; i++) {
      const slot = i % this.size;
      const b = this.buckets[slot];
      if (b && b.index <= c - this.size) {
        this.total.merge(b.tally, -1);
        this.buckets[slot] = undefined;
      }
    }
  }

  /** Each bucket still in the window: its start (ms) and tally, in no particular order. */
  *entries(nowMs: number): Iterable<[number, Tally]> {
    this.advance(nowMs);
    for (const b of this.buckets) if (b) yield [b.index * this.bucketMs, b.tally];
  }

  add(s: ExecutionSample, nowMs: number): void {
    this.advance(nowMs);
    const index = Math.min(Math.floor(s.startedMs / this.bucketMs), this.current);
    if (index <= this.current - this.size) return; // older than the window
    const slot = index % this.size;
    let b = this.buckets[slot];
    if (!b || b.index !== index) {
      if (b) this.total.merge(b.tally, -1); // cannot happen after advance; kept for safety
      b = this.buckets[slot] = { index, tally: new Tally() };
    }
    b.tally.add(s);
    this.total.add(s);
  }
}

/** The windows of every flock. */
export class RollingWindows {
  private readonly flocks = new Map<string, Record<WindowName, Ring>>();
  private adds = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Count an execution (live, or read back from history at start-up). */
  add(sample: ExecutionSample): void {
    let rings = this.flocks.get(sample.flock);
    if (!rings) {
      rings = Object.fromEntries(WINDOW_NAMES.map((w) => [w, new Ring(WINDOW_SPECS[w].bucketMs, WINDOW_SPECS[w].windowMs / WINDOW_SPECS[w].bucketMs)])) as Record<WindowName, Ring>;
      this.flocks.set(sample.flock, rings);
    }
    const now = this.now();
    for (const w of WINDOW_NAMES) rings[w].add(sample, now);
    if (++this.adds % 10_000 === 0) this.sweep(now);
  }

  /** Flock names with windows in memory. */
  get size(): number {
    return this.flocks.size;
  }

  /** Forget flock names with nothing left in any window (names come and go, e.g. CI flocks). */
  private sweep(now: number): void {
    for (const [flock, rings] of this.flocks) {
      for (const w of WINDOW_NAMES) rings[w].advance(now);
      if (WINDOW_NAMES.every((w) => rings[w].total.empty)) this.flocks.delete(flock);
    }
  }

  /**
   * Executions and failures per clock hour (UTC) of the 24 hours ending with the current one,
   * oldest first, by start time: the 24 h window's 15-minute buckets summed per hour, so exactly
   * what the history holds (the window's 96 buckets always reach back to the first hour's start).
   */
  hourly(flock: string): { startMs: number; executions: number; failures: number }[] {
    const now = this.now();
    const first = (Math.floor(now / HOUR_MS) - (HOURS - 1)) * HOUR_MS;
    const hours = Array.from({ length: HOURS }, (_, i) => ({ startMs: first + i * HOUR_MS, executions: 0, failures: 0 }));
    const ring = this.flocks.get(flock)?.["24h"];
    if (!ring) return hours;
    for (const [startMs, tally] of ring.entries(now)) {
      const h = hours[Math.floor((startMs - first) / HOUR_MS)];
      if (!h) continue; // the part of the window before the first hour
      h.executions += tally.executions;
      h.failures += tally.failures;
    }
    return hours;
  }

  /** The figures of a flock's windows (zeros for a flock with no execution). */
  stats(flock: string): Windows {
    const rings = this.flocks.get(flock);
    const now = this.now();
    const out = {} as Windows;
    for (const w of WINDOW_NAMES) {
      const ring = rings?.[w];
      ring?.advance(now);
      out[w] = describe(ring?.total ?? new Tally());
    }
    return out;
  }
}

const round = (v: number | null) => (v === null ? null : Math.round(v));

function describe(t: Tally): WindowStats {
  const decided = t.successes + t.failures;
  return {
    executions: t.executions,
    successes: t.successes,
    failures: t.failures,
    skipped: t.skipped,
    success_rate: decided === 0 ? null : Math.round((t.successes / decided) * 10_000) / 10_000,
    failure_classes: Object.fromEntries([...t.classes].sort(([a], [b]) => a.localeCompare(b))),
    phases: Object.fromEntries(
      [...t.phases].map(([name, bins]) => {
        let count = 0;
        for (const n of bins.values()) count += n;
        return [name, { count, p50_ms: round(quantile(bins, 0.5)), p95_ms: round(quantile(bins, 0.95)) }];
      }),
    ),
    notebooks: Object.fromEntries(
      [...t.notebooks].map(([path, nb]) => [path, { count: nb.runs, failures: nb.failures, p50_ms: round(quantile(nb.bins, 0.5)), p95_ms: round(quantile(nb.bins, 0.95)) }]),
    ),
  };
}
