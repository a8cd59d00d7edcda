/**
 * The audit log in the service's SQLite database (table `audit`, migration `0003_audit`):
 * append-only rows of who changed what, when, with the flock before and after (already
 * redacted by the audit service), read newest first.
 * @module
 */
import type { Generated, Kysely } from "kysely";
import { z } from "zod";

interface AuditTables {
  audit: { id: Generated<number>; at: string; actor: string; role: string; action: string; flock: string | null; before: string | null; after: string | null };
}

/** One audit entry as stored and served by `GET /audit`. */
export const auditEntrySchema = z
  .strictObject({
    id: z.number().int(),
    at: z.string().meta({ description: "ISO time of the change" }),
    actor: z.string().meta({ description: "Principal name (admin for TROOP_API_TOKEN)" }),
    role: z.string(),
    action: z.string().meta({ examples: ["put_flock", "pause_flock"] }),
    flock: z.string().nullable(),
    before: z.unknown().meta({ description: "The flock before the change (secrets redacted), or null" }),
    after: z.unknown().meta({ description: "The flock after the change (secrets redacted), or null" }),
  })
  .meta({ id: "AuditEntry" });

export type AuditEntry = z.output<typeof auditEntrySchema>;

/** Filter and cursor of a read. */
export interface AuditQuery {
  limit: number;
  /** Only entries with a smaller id (the `id` of the last entry of the previous page). */
  before?: number | undefined;
  flock?: string | undefined;
}

/** Append and read audit entries. */
export class SqliteAuditStore {
  private readonly db: Kysely<AuditTables>;

  constructor(db: Kysely<unknown>) {
    this.db = db as Kysely<AuditTables>;
  }

  /** Store one entry (before/after as JSON). */
  async append(e: Omit<AuditEntry, "id">): Promise<void> {
    const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
    await this.db.insertInto("audit").values({ at: e.at, actor: e.actor, role: e.role, action: e.action, flock: e.flock, before: json(e.before), after: json(e.after) }).execute();
  }

  /** Newest first. */
  async list(q: AuditQuery): Promise<AuditEntry[]> {
    let query = this.db.selectFrom("audit").selectAll().orderBy("id", "desc").limit(q.limit);
    if (q.before !== undefined) query = query.where("id", "<", q.before);
    if (q.flock !== undefined) query = query.where("flock", "=", q.flock);
    const rows = await query.execute();
    return rows.map((r) => ({ ...r, before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after) }));
  }
}
