/**
 * The queue of pull-request checks in the service's SQLite database (table `github_checks`,
 * migration `0004_github_checks`): a check is inserted `queued`, claimed `in_progress` (its
 * attempt counted) and `completed` with a conclusion and the result as JSON. At start-up,
 * checks left `in_progress` by a stopped process go back to `queued`, so nothing is lost. A check
 * that failed inside Troop goes back to `queued` with a `not_before` time (a back-off); one whose
 * result is known but could not be reported keeps that result while it waits. A check completed
 * although its final report to GitHub failed has a report pending (`report_not_before`, migration
 * `0006_github_checks_report_pending`): it is delivered again from then, `report_attempts` counts
 * the failed deliveries, and `completed_at` is when the first one failed.
 * Rows are parsed with {@link checkJobSchema} when read. No credential is ever stored.
 * @module
 */
import type { Generated, Kysely } from "kysely";
import { checkJobSchema, checkResultSchema, type CheckConclusion, type CheckJob, type CheckResult } from "../models/github.js";

interface CheckTables {
  github_checks: {
    id: Generated<number>;
    repo: string;
    clone_url: string;
    head_sha: string;
    head_ref: string | null;
    base_sha: string | null;
    pr_number: number | null;
    fork: Generated<number>;
    check_run_id: number | null;
    installation_id: number;
    status: string;
    conclusion: string | null;
    created_at: string;
    updated_at: string;
    started_at: string | null;
    completed_at: string | null;
    attempts: number;
    not_before: string | null;
    result: string | null;
    report_not_before: string | null;
    report_attempts: Generated<number>;
  };
}

/** What is known when a check is queued. */
export type NewCheckJob = Pick<CheckTables["github_checks"], "repo" | "clone_url" | "head_sha" | "head_ref" | "base_sha" | "pr_number" | "installation_id"> & { fork: boolean };

export class SqliteCheckStore {
  private readonly db: Kysely<CheckTables>;

  constructor(
    db: Kysely<unknown>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = db as Kysely<CheckTables>;
  }

  /** Insert a queued check; returns it. */
  async insert(job: NewCheckJob): Promise<CheckJob> {
    const at = this.now().toISOString();
    const row = await this.db
      .insertInto("github_checks")
      .values({ ...job, fork: job.fork ? 1 : 0, status: "queued", created_at: at, updated_at: at, attempts: 0, not_before: null, check_run_id: null, conclusion: null, started_at: null, completed_at: null, result: null, report_not_before: null, report_attempts: 0 })
      .returningAll()
      .executeTakeFirstOrThrow();
    return parseRow(row);
  }

  /** Record the check run created on GitHub for a check. */
  async setCheckRun(id: number, checkRunId: number): Promise<void> {
    await this.db.updateTable("github_checks").set({ check_run_id: checkRunId, updated_at: this.now().toISOString() }).where("id", "=", id).execute();
  }

  /** Take the oldest queued check that is due: it becomes in_progress and its attempt is counted. */
  async claimNext(): Promise<CheckJob | null> {
    return this.db.transaction().execute(async (tx) => {
      const at = this.now().toISOString();
      const next = await tx
        .selectFrom("github_checks")
        .select("id")
        .where("status", "=", "queued")
        .where((eb) => eb.or([eb("not_before", "is", null), eb("not_before", "<=", at)]))
        .orderBy("id")
        .limit(1)
        .executeTakeFirst();
      if (!next) return null;
      const row = await tx
        .updateTable("github_checks")
        .set((eb) => ({ status: "in_progress", started_at: at, updated_at: at, not_before: null, attempts: eb("attempts", "+", 1) }))
        .where("id", "=", next.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return parseRow(row);
    });
  }

  /** When the next queued check waiting for a retry is due (null: none waits). */
  async nextRetryAt(): Promise<Date | null> {
    const row = await this.db.selectFrom("github_checks").select((eb) => eb.fn.min("not_before").as("at")).where("status", "=", "queued").executeTakeFirst();
    return row?.at ? new Date(row.at) : null;
  }

  /** A check in progress that failed inside Troop goes back to the queue, due at `notBefore`. */
  async requeue(id: number, notBefore: Date): Promise<void> {
    await this.db.updateTable("github_checks").set({ status: "queued", not_before: notBefore.toISOString(), updated_at: this.now().toISOString() }).where("id", "=", id).where("status", "=", "in_progress").execute();
  }

  /** Keep the result of a check in progress whose report to GitHub is still to be made. */
  async saveResult(id: number, result: CheckResult): Promise<void> {
    await this.db.updateTable("github_checks").set({ result: JSON.stringify(checkResultSchema.parse(result)), updated_at: this.now().toISOString() }).where("id", "=", id).execute();
  }

  /**
   * Complete a check with its conclusion and result. `reportDue`: its report to GitHub failed
   * (once) and is pending, to be delivered again from then.
   */
  async complete(id: number, conclusion: CheckConclusion, result: CheckResult | null, reportDue: Date | null = null): Promise<void> {
    const at = this.now().toISOString();
    await this.db
      .updateTable("github_checks")
      .set({ status: "completed", conclusion, completed_at: at, updated_at: at, result: result ? JSON.stringify(checkResultSchema.parse(result)) : null, report_not_before: reportDue?.toISOString() ?? null, report_attempts: reportDue ? 1 : 0 })
      .where("id", "=", id)
      .execute();
  }

  /** Completed checks whose pending report is due now, oldest first; `except`: ids being delivered. */
  async dueReports(except: readonly number[] = []): Promise<CheckJob[]> {
    let q = this.db.selectFrom("github_checks").selectAll().where("status", "=", "completed").where("report_not_before", "<=", this.now().toISOString());
    if (except.length > 0) q = q.where("id", "not in", except);
    return (await q.orderBy("id").execute()).map(parseRow);
  }

  /** When the next pending report is due (null: none is pending); `except`: ids being delivered. */
  async nextReportAt(except: readonly number[] = []): Promise<Date | null> {
    let q = this.db.selectFrom("github_checks").select((eb) => eb.fn.min("report_not_before").as("at")).where("status", "=", "completed");
    if (except.length > 0) q = q.where("id", "not in", except);
    const row = await q.executeTakeFirst();
    return row?.at ? new Date(row.at) : null;
  }

  /** The pending report of a check was delivered: clear the mark. */
  async reportDelivered(id: number): Promise<void> {
    await this.db.updateTable("github_checks").set({ report_not_before: null, updated_at: this.now().toISOString() }).where("id", "=", id).execute();
  }

  /** A delivery of a pending report failed: count it; deliver again from `next`, or never (null: given up). */
  async reportFailed(id: number, next: Date | null): Promise<void> {
    await this.db
      .updateTable("github_checks")
      .set((eb) => ({ report_not_before: next?.toISOString() ?? null, report_attempts: eb("report_attempts", "+", 1), updated_at: this.now().toISOString() }))
      .where("id", "=", id)
      .execute();
  }

  /**
   * Cancel the checks still queued that a newer check `newer` makes pointless: older checks of
   * the same pull request (`samePr`, a push to it) or of the same commit (a re-request).
   * Returns them as they were before; a check already claimed by the worker is left alone.
   */
  async supersede(newer: CheckJob, scope: "samePr" | "sameCommit"): Promise<CheckJob[]> {
    if (scope === "samePr" && newer.pr_number === null) return [];
    const at = this.now().toISOString();
    let q = this.db.updateTable("github_checks").set({ status: "completed", conclusion: "cancelled", completed_at: at, updated_at: at }).where("status", "=", "queued").where("repo", "=", newer.repo).where("id", "<", newer.id);
    q = scope === "samePr" ? q.where("pr_number", "=", newer.pr_number) : q.where("head_sha", "=", newer.head_sha);
    return (await q.returningAll().execute()).map(parseRow);
  }

  /** Checks a stopped process left in progress go back to the queue; returns how many. */
  async requeueInProgress(): Promise<number> {
    const r = await this.db.updateTable("github_checks").set({ status: "queued", updated_at: this.now().toISOString() }).where("status", "=", "in_progress").executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async get(id: number): Promise<CheckJob | null> {
    const row = await this.db.selectFrom("github_checks").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? parseRow(row) : null;
  }

  /** The check that owns a GitHub check run id. */
  async findByCheckRun(checkRunId: number): Promise<CheckJob | null> {
    const row = await this.db.selectFrom("github_checks").selectAll().where("check_run_id", "=", checkRunId).orderBy("id", "desc").limit(1).executeTakeFirst();
    return row ? parseRow(row) : null;
  }

  /** The newest check of a commit of a repository. */
  async latestForCommit(repo: string, headSha: string): Promise<CheckJob | null> {
    const row = await this.db.selectFrom("github_checks").selectAll().where("repo", "=", repo).where("head_sha", "=", headSha).orderBy("id", "desc").limit(1).executeTakeFirst();
    return row ? parseRow(row) : null;
  }

  /** Newest first. */
  async recent(limit: number): Promise<CheckJob[]> {
    const rows = await this.db.selectFrom("github_checks").selectAll().orderBy("id", "desc").limit(limit).execute();
    return rows.map(parseRow);
  }

  /** Number of checks per status. */
  async counts(): Promise<Record<"queued" | "in_progress", number>> {
    const rows = await this.db.selectFrom("github_checks").select(["status", (eb) => eb.fn.countAll<number>().as("n")]).where("status", "in", ["queued", "in_progress"]).groupBy("status").execute();
    const out = { queued: 0, in_progress: 0 };
    for (const r of rows) out[r.status as "queued" | "in_progress"] = Number(r.n);
    return out;
  }

  /** Number of completed checks whose report to GitHub is pending. */
  async reportsPending(): Promise<number> {
    const row = await this.db.selectFrom("github_checks").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "=", "completed").where("report_not_before", "is not", null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

function parseRow(row: Omit<CheckTables["github_checks"], "id" | "fork" | "report_attempts"> & { id: number; fork: number; report_attempts: number }): CheckJob {
  return checkJobSchema.parse({ ...row, fork: row.fork === 1, result: row.result === null ? null : JSON.parse(row.result) });
}
