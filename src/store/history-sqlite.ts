/**
 * The execution history in SQLite, in the same database (and the same Kysely connection) as
 * the flocks, so its transactions queue behind theirs instead of contending for the file.
 * Records are queued in memory and written in one transaction per batch of up to 500 (at
 * most `flushInterval` later, at once when a batch is full, yielding between batches); a full queue drops its oldest records.
 * Retention deletes in small chunks, yielding between them, so it never stalls the monkeys.
 * @module
 */
import { setImmediate as yieldLoop } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { HistoryConfig } from "../config/results-schema.js";
import type { Execution } from "../models/execution.js";
import { idFloor, storedExecutionSchema, type ExecutionSample, type HistoryFilter, type HistoryStats, type HistoryStore, type StoredExecution, type TimingFilter, type TimingRow } from "./history-types.js";

interface ExecutionRow {
  id: string;
  flock: string | null;
  monkey: string;
  business: string;
  started_ms: number;
  ended_ms: number;
  duration_ms: number;
  result: string;
  error_phase: string | null;
  failure_class: string | null;
  error_name: string | null;
  message: string | null;
  notebook: string | null;
  cell_number: number | null;
  notebook_ms: number | null;
  image_tag: string | null;
  image_type: string | null;
  image_version: string | null;
  repo_commit: string | null;
  artifact: string | null;
  phase_ms: string;
  raw: string;
}

/** The table as Kysely sees it. */
export interface HistoryTables {
  executions: ExecutionRow;
}

/** Largest batch written in one transaction: better-sqlite3 is synchronous, so this bounds how
 * long one write holds the event loop (≈ 40 ms at the measured 12,000 rows/s; see bench/history.mjs). */
const BATCH = 500;
/** Rows per INSERT statement (22 parameters each, far under SQLite's limit). */
const ROWS_PER_INSERT = 100;
/** Rows deleted per retention statement (each one holds the event loop; ≈ 50 ms). */
const PRUNE_CHUNK = 1000;
const SCAN_PAGE = 5000;
/** Rows per read of the timings (with the record's JSON: fewer). */
const TIMING_PAGE = 2000;
const TIMING_PAGE_RAW = 250;

export class SqliteHistoryStore implements HistoryStore {
  private readonly db: Kysely<HistoryTables>;
  private queue: Execution[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private pruning: Promise<number> | null = null;
  private closed = false;
  private readonly counters = { written: 0, dropped: 0, pruned: 0 };
  private unlogged = 0;

  /** `db` is the FlockStore's Kysely instance (migrations already applied). */
  constructor(
    db: Kysely<unknown>,
    private readonly config: Pick<HistoryConfig, "maxAge" | "maxRows" | "flushInterval" | "queueLimit" | "pruneInterval">,
    private readonly onProblem: (message: string, fields: Record<string, unknown>) => void = () => undefined,
  ) {
    this.db = db as Kysely<HistoryTables>;
    const first = Math.min(config.pruneInterval, 60_000);
    this.pruneTimer = setTimeout(() => this.schedulePrune(), first);
    this.pruneTimer.unref();
  }

  add(record: Execution): void {
    if (this.closed) return;
    this.queue.push(record);
    const pending = this.queue.length - this.head;
    if (pending > this.config.queueLimit) {
      const over = pending - this.config.queueLimit;
      this.head += over;
      this.counters.dropped += over;
      this.unlogged += over; // logged once per flush, not once per record
    }
    if (pending >= BATCH) this.kick(0);
    else this.kick(this.config.flushInterval);
  }

  private kick(delay: number): void {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeAll());
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length - this.head > 0) {
      const batch = this.queue.slice(this.head, this.head + BATCH);
      this.head += batch.length;
      if (this.head > 10_000 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      try {
        const rows = batch.map(toRow);
        await this.db.transaction().execute(async (tx) => {
          for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
            await tx.insertInto("executions").values(rows.slice(i, i + ROWS_PER_INSERT)).onConflict((oc) => oc.column("id").doNothing()).execute();
          }
        });
        this.counters.written += batch.length;
      } catch (err) {
        this.counters.dropped += batch.length;
        this.onProblem("could not write execution history; batch dropped", { err: (err as Error).message, dropped: batch.length });
      }
      if (this.queue.length - this.head > 0) await yieldLoop();
    }
    if (this.head > 0) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.unlogged > 0) {
      this.onProblem("history queue full: oldest records dropped", { dropped: this.unlogged, limit: this.config.queueLimit });
      this.unlogged = 0;
    }
  }

  async list(filter: HistoryFilter): Promise<{ rows: StoredExecution[]; nextBefore: string | null }> {
    let q = this.db.selectFrom("executions").selectAll();
    q = filter.flock === null ? q.where("flock", "is", null) : q.where("flock", "=", filter.flock);
    if (filter.result) q = q.where("result", "=", filter.result);
    if (filter.monkey) q = q.where("monkey", "=", filter.monkey);
    if (filter.failureClass) q = q.where("failure_class", "=", filter.failureClass);
    if (filter.since !== undefined) q = q.where("id", ">=", idFloor(filter.since));
    if (filter.until !== undefined) q = q.where("id", "<", idFloor(filter.until));
    if (filter.before !== undefined) q = q.where("id", "<", filter.before);
    const rows = await q.orderBy("id", "desc").limit(filter.limit + 1).execute();
    const page = rows.slice(0, filter.limit).map(fromRow);
    return { rows: page, nextBefore: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null };
  }

  async get(id: string): Promise<StoredExecution | null> {
    const row = await this.db.selectFrom("executions").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async failingRun(flock: string): Promise<{ first: StoredExecution; last: StoredExecution } | null> {
    // executions_flock_result (flock, result, id): the newest success, then the failures after it
    const ok = await this.db.selectFrom("executions").select("id").where("flock", "=", flock).where("result", "=", "success").orderBy("id", "desc").limit(1).executeTakeFirst();
    let failures = this.db.selectFrom("executions").selectAll().where("flock", "=", flock).where("result", "=", "failure");
    if (ok) failures = failures.where("id", ">", ok.id);
    const first = await failures.orderBy("id", "asc").limit(1).executeTakeFirst();
    if (!first) return null;
    const last = await failures.orderBy("id", "desc").limit(1).executeTakeFirstOrThrow();
    return { first: fromRow(first), last: fromRow(last) };
  }

  async hasFlock(flock: string): Promise<boolean> {
    return (await this.db.selectFrom("executions").select("id").where("flock", "=", flock).limit(1).executeTakeFirst()) !== undefined;
  }

  async scan(sinceMs: number, each: (sample: ExecutionSample) => void): Promise<number> {
    let after = idFloor(sinceMs);
    let first = true;
    let n = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom("executions")
        .select(["id", "flock", "started_ms", "result", "failure_class", "phase_ms", "notebook", "notebook_ms"])
        .where("id", first ? ">=" : ">", after)
        .orderBy("id")
        .limit(SCAN_PAGE)
        .execute();
      first = false;
      for (const r of rows) {
        if (r.flock === null) continue;
        each({ flock: r.flock, startedMs: r.started_ms, result: r.result as Execution["result"], failureClass: r.failure_class, phases: JSON.parse(r.phase_ms) as [string, number][], notebook: r.notebook, notebookMs: r.notebook_ms });
        n++;
      }
      if (rows.length < SCAN_PAGE) return n;
      after = rows.at(-1)!.id;
      await yieldLoop();
    }
  }

  /**
   * Newest first, read in pages with the event loop let go between them, so a long range never
   * holds the monkeys up for the whole read (record JSON, for cells, in smaller pages).
   */
  async timingRows(f: TimingFilter): Promise<TimingRow[]> {
    const cols = ["id", "started_ms", "duration_ms", "phase_ms", "notebook", "notebook_ms"] as const;
    const page = f.withRaw ? TIMING_PAGE_RAW : TIMING_PAGE;
    const out: TimingRow[] = [];
    const floor = idFloor(f.sinceMs);
    let before = idFloor(f.untilMs);
    while (out.length < f.limit) {
      const size = Math.min(page, f.limit - out.length);
      const rows = await this.db
        .selectFrom("executions")
        .select(f.withRaw ? [...cols, "raw"] : [...cols])
        .where("flock", "=", f.flock)
        .where("id", ">=", floor)
        .where("id", "<", before)
        .orderBy("id", "desc")
        .limit(size)
        .execute();
      for (const r of rows) {
        out.push({
          startedMs: r.started_ms,
          durationMs: r.duration_ms,
          phases: JSON.parse(r.phase_ms) as [string, number][],
          notebook: r.notebook,
          notebookMs: r.notebook_ms,
          raw: "raw" in r ? (r as { raw: string }).raw : null,
        });
      }
      if (rows.length < size) break;
      before = rows.at(-1)!.id;
      await yieldLoop();
    }
    return out;
  }

  prune(nowMs = Date.now()): Promise<number> {
    this.pruning ??= this.pruneNow(nowMs).finally(() => (this.pruning = null));
    return this.pruning;
  }

  private async pruneNow(nowMs: number): Promise<number> {
    await this.flush();
    let deleted = 0;
    const cutoff = idFloor(nowMs - this.config.maxAge);
    for (;;) {
      const sub = this.db.selectFrom("executions").select("id").where("id", "<", cutoff).orderBy("id").limit(PRUNE_CHUNK);
      const n = Number((await this.db.deleteFrom("executions").where("id", "in", sub).executeTakeFirst()).numDeletedRows);
      deleted += n;
      if (n < PRUNE_CHUNK) break;
      await yieldLoop();
    }
    const count = Number((await this.db.selectFrom("executions").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
    let excess = count - this.config.maxRows;
    while (excess > 0) {
      const sub = this.db.selectFrom("executions").select("id").orderBy("id").limit(Math.min(PRUNE_CHUNK, excess));
      const n = Number((await this.db.deleteFrom("executions").where("id", "in", sub).executeTakeFirst()).numDeletedRows);
      deleted += n;
      excess -= n;
      if (n === 0) break;
      await yieldLoop();
    }
    this.counters.pruned += deleted;
    return deleted;
  }

  private schedulePrune(): void {
    if (this.closed) return;
    this.prune()
      .catch((err: Error) => this.onProblem("history retention failed", { err: err.message }))
      .finally(() => {
        if (this.closed) return;
        this.pruneTimer = setTimeout(() => this.schedulePrune(), this.config.pruneInterval);
        this.pruneTimer.unref();
      });
  }

  stats(): HistoryStats {
    return { pending: this.queue.length - this.head, ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.timer = null;
    await this.pruning?.catch(() => 0);
    await this.flush();
  }
}

function toRow(r: Execution): ExecutionRow {
  const cells = r.notebook?.cells ?? [];
  return {
    id: r.id,
    flock: r.flock,
    monkey: r.monkey,
    business: r.business,
    started_ms: Date.parse(r.started_at),
    ended_ms: Date.parse(r.ended_at),
    duration_ms: Math.round(r.duration_ms),
    result: r.result,
    error_phase: r.error?.phase ?? null,
    failure_class: r.error?.failure_class ?? null,
    error_name: r.error?.exception ?? null,
    message: r.error?.message ?? null,
    notebook: r.notebook?.path ?? r.error?.notebook ?? null,
    cell_number: r.error?.cell_number ?? null,
    notebook_ms: r.notebook ? Math.round(cells.reduce((s, c) => s + c.duration_ms, 0)) : null,
    image_tag: r.image?.tag ?? null,
    image_type: r.image?.type ?? null,
    image_version: r.image?.version ?? null,
    repo_commit: r.notebook?.commit ?? null,
    artifact: r.artifact,
    phase_ms: JSON.stringify(r.phases.map((p) => [p.name, Math.round(p.duration_ms)])),
    raw: JSON.stringify(r),
  };
}

function fromRow(row: ExecutionRow): StoredExecution {
  const { phase_ms: _phases, ...rest } = row;
  return storedExecutionSchema.parse({ ...rest, record: JSON.parse(row.raw) });
}
