/**
 * Schema migrations, applied in order at open. Each is named and never edited once released.
 * @module
 */
import { Migrator, sql, type Kysely, type Migration } from "kysely";

const migrations: Record<string, Migration> = {
  "0001_flocks": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("flocks")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("paused", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("start_time", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
        .execute();
      await db.schema
        .createTable("monkey_counts")
        .addColumn("flock", "text", (c) => c.notNull())
        .addColumn("monkey", "text", (c) => c.notNull())
        .addColumn("success", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("failure", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("monkey_counts_pk", ["flock", "monkey"])
        .execute();
    },
  },
  "0002_executions": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("executions")
        .addColumn("id", "text", (c) => c.primaryKey()) // time-ordered: hex start ms + random
        .addColumn("flock", "text")
        .addColumn("monkey", "text", (c) => c.notNull())
        .addColumn("business", "text", (c) => c.notNull())
        .addColumn("started_ms", "integer", (c) => c.notNull())
        .addColumn("ended_ms", "integer", (c) => c.notNull())
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("result", "text", (c) => c.notNull())
        .addColumn("error_phase", "text")
        .addColumn("failure_class", "text")
        .addColumn("error_name", "text")
        .addColumn("message", "text")
        .addColumn("notebook", "text")
        .addColumn("cell_number", "integer")
        .addColumn("notebook_ms", "integer")
        .addColumn("image_tag", "text")
        .addColumn("image_type", "text")
        .addColumn("image_version", "text")
        .addColumn("repo_commit", "text")
        .addColumn("artifact", "text")
        .addColumn("phase_ms", "text", (c) => c.notNull()) // compact [[name, ms], ...] for windows
        .addColumn("raw", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("executions_flock").on("executions").columns(["flock", "id"]).execute();
      await db.schema.createIndex("executions_flock_result").on("executions").columns(["flock", "result", "id"]).execute();
      await db.schema.createIndex("executions_flock_monkey").on("executions").columns(["flock", "monkey", "id"]).execute();
    },
  },
  "0003_audit": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("audit")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("flock", "text")
        .addColumn("before", "text") // JSON, secrets redacted
        .addColumn("after", "text")
        .execute();
      await db.schema.createIndex("audit_flock").on("audit").columns(["flock", "id"]).execute();
    },
  },
  "0004_github_checks": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("github_checks")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("clone_url", "text", (c) => c.notNull())
        .addColumn("head_sha", "text", (c) => c.notNull())
        .addColumn("head_ref", "text")
        .addColumn("base_sha", "text")
        .addColumn("pr_number", "integer")
        .addColumn("check_run_id", "integer")
        .addColumn("installation_id", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("conclusion", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("started_at", "text")
        .addColumn("completed_at", "text")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("result", "text") // JSON CheckResult, no secret
        .execute();
      await db.schema.createIndex("github_checks_status").on("github_checks").columns(["status", "id"]).execute();
      await db.schema.createIndex("github_checks_run").on("github_checks").columns(["check_run_id"]).execute();
    },
  },
  "0005_github_checks_retry_fork": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("github_checks").addColumn("fork", "integer", (c) => c.notNull().defaultTo(0)).execute(); // head in another repository
      await db.schema.alterTable("github_checks").addColumn("not_before", "text").execute(); // a retry waits until then
    },
  },
  "0006_github_checks_report_pending": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("github_checks").addColumn("report_not_before", "text").execute(); // a completed check's report to GitHub is pending, due then
      await db.schema.alterTable("github_checks").addColumn("report_attempts", "integer", (c) => c.notNull().defaultTo(0)).execute(); // failed deliveries of that report
      await db.schema.createIndex("github_checks_report").on("github_checks").columns(["report_not_before"]).execute();
    },
  },
};

/** Bring the database up to date; throws with the failing migration's name. */
export async function migrate(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}
