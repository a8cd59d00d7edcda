/**
 * Timings over time (issue 5): the durations of one metric of a flock — a phase, the whole
 * execution, a notebook (sum of its cells) or its cells — in time buckets with count, p50 and
 * p95, read from the execution history. Bounded so it stays fast: at most
 * {@link MAX_TIMING_BUCKETS} buckets and the newest {@link MAX_TIMING_ROWS} executions of the
 * range (a quarter of that for cells, which need the record's JSON).
 * @module
 */
import { issuesToLocations } from "../../config/issues.js";
import { parseDuration } from "../../config/duration.js";
import { ApiError, flockNotFound } from "../../errors.js";
import type { Execution } from "../../models/execution.js";
import { MAX_TIMING_BUCKETS, MAX_TIMING_ROWS, timingsQuerySchema, type Timings } from "../../models/timings.js";
import type { HistoryStore, TimingRow } from "../../store/history-types.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Bucket widths chosen when the query gives none: the smallest giving at most {@link TARGET_BUCKETS}. */
const STEPS = [1 / 12, 1 / 6, 1 / 4, 1 / 2, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => Math.round(m * MINUTE));
const TARGET_BUCKETS = 96;

export interface TimingsDeps {
  history: HistoryStore;
  /** Whether a flock of that name is running now. */
  isRunning(flock: string): boolean;
  now?: () => number;
}

/** Nearest-rank quantile of sorted values, rounded to the ms; null when empty. */
export function quantile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!);
}

const invalid = (path: string, message: string) => new ApiError({ code: "invalid_request", status: 422, message: "Invalid query", errors: [{ path, message }] });

/** The timings API's service. */
export class TimingsService {
  constructor(private readonly deps: TimingsDeps) {}

  /** Buckets of one metric of `flock`; `query` is the raw query string. 404 for an unknown flock, 422 for a bad query. */
  async get(flock: string, query: Record<string, string | undefined>): Promise<Timings> {
    const parsed = timingsQuerySchema.safeParse(query);
    if (!parsed.success) throw new ApiError({ code: "invalid_request", status: 422, message: "Invalid query", errors: issuesToLocations(parsed.error.issues) });
    const q = parsed.data;
    if (q.cell !== undefined && q.metric !== "cell") throw invalid("cell", "cell needs metric=cell");
    const until = q.until === undefined ? (this.deps.now ?? Date.now)() : Date.parse(q.until);
    const since = q.since === undefined ? until - 24 * HOUR : Date.parse(q.since);
    if (since >= until) throw invalid("since", "since must be before until");
    const range = until - since;
    const bucket = q.bucket === undefined ? (STEPS.find((s) => range / s <= TARGET_BUCKETS) ?? Math.ceil(range / TARGET_BUCKETS / MINUTE) * MINUTE) : parseDuration(q.bucket)!;
    const start = Math.floor(since / bucket) * bucket;
    const n = Math.ceil((until - start) / bucket);
    if (n > MAX_TIMING_BUCKETS) throw invalid("bucket", `the range holds ${n} buckets of ${q.bucket ?? bucket / 1000 + "s"}; at most ${MAX_TIMING_BUCKETS}: widen the bucket or shorten the range`);

    await this.deps.history.flush();
    if (!this.deps.isRunning(flock) && !(await this.deps.history.hasFlock(flock))) throw flockNotFound(flock);
    const cells = q.metric === "cell";
    const limit = cells ? MAX_TIMING_ROWS / 4 : MAX_TIMING_ROWS;
    const rows = await this.deps.history.timingRows({ flock, sinceMs: start, untilMs: until, limit: limit + 1, withRaw: cells });
    const truncated = rows.length > limit;
    if (truncated) rows.length = limit;

    const phases = new Set<string>();
    const notebooks = new Set<string>();
    const values: number[][] = Array.from({ length: n }, () => []);
    for (const r of rows) {
      for (const [name] of r.phases) phases.add(name);
      if (r.notebook !== null) notebooks.add(r.notebook);
      if (q.notebook !== undefined && r.notebook !== q.notebook) continue;
      const i = Math.floor((r.startedMs - start) / bucket);
      if (i < 0 || i >= n) continue;
      values[i]!.push(...durationsOf(r, q.metric, q.cell));
    }
    const all: number[] = [];
    const buckets = values.map((v, i) => {
      v.sort((a, b) => a - b);
      for (const x of v) all.push(x);
      return { start: new Date(start + i * bucket).toISOString(), count: v.length, p50_ms: quantile(v, 0.5), p95_ms: quantile(v, 0.95) };
    });
    all.sort((a, b) => a - b);
    return {
      flock,
      metric: q.metric,
      notebook: q.notebook ?? null,
      cell: q.cell ?? null,
      since: new Date(start).toISOString(),
      until: new Date(until).toISOString(),
      bucket_ms: bucket,
      buckets,
      total: { count: all.length, p50_ms: quantile(all, 0.5), p95_ms: quantile(all, 0.95) },
      scanned: rows.length,
      truncated,
      phases: [...phases].sort(),
      notebooks: [...notebooks].sort(),
    };
  }
}

/** The durations one execution contributes to a metric. */
function durationsOf(r: TimingRow, metric: string, cell: number | undefined): number[] {
  if (metric === "execution") return [r.durationMs];
  if (metric === "notebook") return r.notebookMs === null ? [] : [r.notebookMs];
  if (metric === "cell") {
    if (r.raw === null) return [];
    // the stored JSON is the record as the monkey produced it (validated then); only its cells are read
    const run = (JSON.parse(r.raw) as Pick<Execution, "notebook">).notebook;
    return (run?.cells ?? []).filter((c) => cell === undefined || c.number === cell).map((c) => c.duration_ms);
  }
  const name = metric.slice("phase:".length);
  return r.phases.filter(([p]) => p === name).map(([, ms]) => ms);
}
