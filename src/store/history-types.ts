/**
 * The storage interface of the execution history: every record of every monkey, written
 * behind the monkeys' backs in batches, queried newest first with a cursor, pruned by age and
 * row count. Rows are validated on read, like every other boundary.
 * @module
 */
import { z } from "zod";
import { executionSchema, type Execution } from "../models/execution.js";

/** Filter of a history page; `since`/`until` are start times in ms (since inclusive, until exclusive). */
export interface HistoryFilter {
  /** The flock; null: solitary runs (`POST /run`), which belong to no flock. */
  flock: string | null;
  result?: Execution["result"];
  monkey?: string;
  /** Only failures of this failure class. */
  failureClass?: string;
  since?: number;
  until?: number;
  /** Only records older than this id (the previous page's last id). */
  before?: string;
  limit: number;
}

/** A stored execution: its indexed columns and the record itself. */
export const storedExecutionSchema = z.strictObject({
  id: z.string(),
  flock: z.string().nullable(),
  monkey: z.string(),
  business: z.string(),
  started_ms: z.number(),
  ended_ms: z.number(),
  duration_ms: z.number(),
  result: z.enum(["success", "failure", "skipped"]),
  error_phase: z.string().nullable(),
  failure_class: z.string().nullable(),
  error_name: z.string().nullable(),
  message: z.string().nullable(),
  notebook: z.string().nullable(),
  cell_number: z.number().nullable(),
  notebook_ms: z.number().nullable(),
  image_tag: z.string().nullable(),
  image_type: z.string().nullable(),
  image_version: z.string().nullable(),
  repo_commit: z.string().nullable(),
  artifact: z.string().nullable(),
  record: executionSchema,
  raw: z.string(),
});
export type StoredExecution = z.output<typeof storedExecutionSchema>;

/** What the rolling windows need of a stored execution (read at start-up, no JSON record parse). */
export interface ExecutionSample {
  flock: string;
  startedMs: number;
  result: Execution["result"];
  failureClass: string | null;
  /** Every phase occurrence: [name, duration ms]. */
  phases: [string, number][];
  notebook: string | null;
  notebookMs: number | null;
}

/** What the timings read of one execution (the record's JSON only when asked for). */
export interface TimingRow {
  startedMs: number;
  durationMs: number;
  /** Every phase occurrence: [name, duration ms]. */
  phases: [string, number][];
  notebook: string | null;
  notebookMs: number | null;
  /** The record's JSON (only with `withRaw`: for per-cell durations). */
  raw: string | null;
}

/** Range of a timings read: executions of `flock` started in [sinceMs, untilMs), newest first, at most `limit`. */
export interface TimingFilter {
  flock: string;
  sinceMs: number;
  untilMs: number;
  limit: number;
  withRaw: boolean;
}

/** Counters of the write-behind queue. */
export interface HistoryStats {
  /** Records waiting to be written. */
  pending: number;
  written: number;
  /** Records dropped: queue over its limit, or a batch that could not be written. */
  dropped: number;
  /** Rows removed by retention. */
  pruned: number;
}

/** Where execution records live. */
export interface HistoryStore {
  /** Queue a record; it is written with others in one transaction soon after. Never blocks. */
  add(record: Execution): void;
  /** Write everything queued now. */
  flush(): Promise<void>;
  /** A page, newest first; `nextBefore` is the id to continue from, null on the last page. */
  list(filter: HistoryFilter): Promise<{ rows: StoredExecution[]; nextBefore: string | null }>;
  get(id: string): Promise<StoredExecution | null>;
  /**
   * The flock's current run of failures: its first and its newest failure, when the newest
   * success-or-failure execution (by start time, skipped ones ignored) failed; else null. Two
   * index lookups however long the run, so a flock failing for days costs the same.
   */
  failingRun(flock: string): Promise<{ first: StoredExecution; last: StoredExecution } | null>;
  /** Whether any stored execution belongs to `flock`. */
  hasFlock(flock: string): Promise<boolean>;
  /** Feed every execution started at or after `sinceMs`, oldest first, to `each`; returns how many. */
  scan(sinceMs: number, each: (sample: ExecutionSample) => void): Promise<number>;
  /** Timing columns of a flock's executions in a range, newest first (see {@link TimingFilter}). */
  timingRows(filter: TimingFilter): Promise<TimingRow[]>;
  /** Apply retention (age, then row cap) now; returns rows deleted. */
  prune(nowMs?: number): Promise<number>;
  stats(): HistoryStats;
  /** Flush, stop timers. The database itself belongs to the FlockStore that opened it. */
  close(): Promise<void>;
}

/** The id prefix of a start time: ids are `<12 hex digits of start ms>-<random>`, so they sort by time. */
export function idFloor(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0");
}
