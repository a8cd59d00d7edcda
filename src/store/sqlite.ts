/**
 * The SQLite store (better-sqlite3 through Kysely, so the same typed queries can later target
 * Postgres). WAL mode with synchronous=NORMAL: a committed transaction survives a crash of the
 * process (kill -9); counters are batched every `flushMs`.
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, type Generated } from "kysely";
import { migrate } from "./migrations.js";
import { storedFlockSchema, type Counts, type FlockStore, type StoredFlock } from "./types.js";

interface Tables {
  flocks: { name: string; config: string; source: string; paused: number; start_time: string; updated_at: string };
  monkey_counts: { flock: string; monkey: string; success: number; failure: number; id?: Generated<number> };
}

export class SqliteFlockStore implements FlockStore {
  readonly db: Kysely<Tables>;
  private pending = new Map<string, { flock: string; monkey: string; counts: Counts }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    db: Kysely<Tables>,
    private readonly flushMs: number,
    private readonly onError: (err: Error) => void,
  ) {
    this.db = db;
  }

  /** Open (creating the file and tables if needed). `path` may be `:memory:`. */
  static async open(path: string, opts: { flushMs?: number; onError?: (err: Error) => void } = {}): Promise<SqliteFlockStore> {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SQLite(path);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("busy_timeout = 5000");
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) });
    await migrate(db as Kysely<unknown>);
    return new SqliteFlockStore(db, opts.flushMs ?? 500, opts.onError ?? (() => undefined));
  }

  async listFlocks(): Promise<StoredFlock[]> {
    const rows = await this.db.selectFrom("flocks").selectAll().orderBy("name").execute();
    return rows.map((r) =>
      storedFlockSchema.parse({ name: r.name, config: JSON.parse(r.config), source: r.source, paused: r.paused === 1, start_time: r.start_time }),
    );
  }

  async saveFlock(flock: StoredFlock): Promise<void> {
    const row = {
      name: flock.name,
      config: JSON.stringify(flock.config),
      source: flock.source,
      paused: flock.paused ? 1 : 0,
      start_time: flock.start_time,
      updated_at: new Date().toISOString(),
    };
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom("monkey_counts").where("flock", "=", flock.name).execute();
      await tx.insertInto("flocks").values(row).onConflict((oc) => oc.column("name").doUpdateSet(row)).execute();
    });
    for (const key of this.pending.keys()) if (key.startsWith(`${flock.name}\u0000`)) this.pending.delete(key);
  }

  async setPaused(name: string, paused: boolean): Promise<void> {
    await this.db.updateTable("flocks").set({ paused: paused ? 1 : 0, updated_at: new Date().toISOString() }).where("name", "=", name).execute();
  }

  async updateConfig(name: string, config: Record<string, unknown>): Promise<void> {
    await this.db.updateTable("flocks").set({ config: JSON.stringify(config), updated_at: new Date().toISOString() }).where("name", "=", name).execute();
  }

  async deleteFlock(name: string): Promise<void> {
    for (const key of this.pending.keys()) if (key.startsWith(`${name}\u0000`)) this.pending.delete(key);
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom("monkey_counts").where("flock", "=", name).execute();
      await tx.deleteFrom("flocks").where("name", "=", name).execute();
    });
  }

  async loadCounts(flock: string): Promise<Map<string, Counts>> {
    const rows = await this.db.selectFrom("monkey_counts").select(["monkey", "success", "failure"]).where("flock", "=", flock).execute();
    return new Map(rows.map((r) => [r.monkey, { success: r.success, failure: r.failure }]));
  }

  recordCounts(flock: string, monkey: string, counts: Counts): void {
    this.pending.set(`${flock}\u0000${monkey}`, { flock, monkey, counts: { ...counts } });
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush().catch((err: Error) => this.onError(err));
    }, this.flushMs);
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  /** One transaction per batch; rows of flocks deleted meanwhile are dropped. */
  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    await this.db.transaction().execute(async (tx) => {
      const names = [...new Set(batch.map((b) => b.flock))];
      const existing = new Set((await tx.selectFrom("flocks").select("name").where("name", "in", names).execute()).map((r) => r.name));
      const rows = batch.filter((b) => existing.has(b.flock)).map(({ flock, monkey, counts }) => ({ flock, monkey, ...counts }));
      // SQLite limits bound parameters; 4 per row, so chunks of 200 rows stay well under it
      for (let i = 0; i < rows.length; i += 200) {
        await tx
          .insertInto("monkey_counts")
          .values(rows.slice(i, i + 200))
          .onConflict((oc) => oc.columns(["flock", "monkey"]).doUpdateSet((eb) => ({ success: eb.ref("excluded.success"), failure: eb.ref("excluded.failure") })))
          .execute();
      }
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    await this.db.destroy();
  }
}
