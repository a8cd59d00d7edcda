/**
 * A check completed although its final report to GitHub failed keeps that report pending (in
 * the database): it is delivered after a restart, delivered again with a back-off while GitHub
 * keeps failing, and given up, with an error in the log, `github.reportRetryFor` after the first
 * failed delivery. Migration 0006 upgrades a database at 0005 with its rows. Fake GitHub on
 * 127.0.0.1, no hub; restarts are stacks opened again on one SQLite file.
 */
import SQLite from "better-sqlite3";
import type { Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckResult } from "../../../src/models/github.js";
import { SqliteCheckStore } from "../../../src/store/github-checks.js";
import { SqliteFlockStore } from "../../../src/store/sqlite.js";
import { startFakeGitHub, type FailureRule } from "../../support/fake-github.js";
import { tempDatabase, useCheckStacks } from "../../support/github-check-stack.js";
import { waitFor } from "../../support/troop.js";

/** A store whose `saveResult` always fails (a full disk), so that Troop gives up on the check as "failed internally". */
class FailingStore extends SqliteCheckStore {
  override async saveResult(_id: number, _result: CheckResult): Promise<void> {
    throw new Error("SQLITE_FULL: database or disk is full");
  }
}

/** A store that records when each delivery of a pending report failed, and what it scheduled. */
class RecordingStore extends SqliteCheckStore {
  readonly failures: { at: number; next: number | null }[] = [];
  override async reportFailed(id: number, next: Date | null): Promise<void> {
    this.failures.push({ at: Date.now(), next: next?.getTime() ?? null });
    await super.reportFailed(id, next);
  }
}

const fake = await startFakeGitHub();
const { open, completing, completed } = useCheckStacks(fake);

describe("pending reports of completed checks", () => {
  /** GitHub failing every completing PATCH of a check run until `times` is set to 0. */
  const outage = (): FailureRule => {
    const rule: FailureRule = { method: "PATCH", path: /\/check-runs\/\d+$/, when: (b) => b?.status === "completed", times: 1_000_000 };
    fake.failRequests(rule);
    outages.push(rule);
    return rule;
  };
  const outages: FailureRule[] = [];
  afterEach(() => {
    for (const rule of outages.splice(0)) rule.times = 0; // a failed test never leaves GitHub down for the next
  });

  it("keeps a pending report across a restart and delivers it, 'Troop failed internally', after the restart", async () => {
    const database = tempDatabase();
    const rule = outage();
    let s = await open({ database, github: { maxAttempts: 1, retryDelay: "100ms" }, store: (db: Kysely<unknown>) => new FailingStore(db) });
    const job = await s.queueCheck(11);
    const done = await completed(s, job.id);
    expect(done).toMatchObject({ conclusion: "failure", attempts: 1, report_not_before: expect.any(String), result: { internal: { attempts: 1, reason: expect.stringContaining("SQLITE_FULL") } } });
    // the give-up (the attempt failed before reporting), then a delivery, both counted in the store
    // (not just seen by GitHub: a delivery whose failure comes back while Troop stops is not counted)
    await waitFor("a delivery failed too", async () => ((await s.store.get(job.id))?.report_attempts ?? 0) >= 2, 20_000, 20);
    await s.close(); // Troop stops with GitHub still down
    expect(fake.checkRuns.get(job.check_run_id!)!.status).not.toBe("completed");
    expect(completing(job.check_run_id!).every((r) => r.status === 500)).toBe(true);
    const raw = new SQLite(database, { readonly: true });
    const stopped = raw.prepare("SELECT status, report_not_before, report_attempts FROM github_checks WHERE id = ?").get(job.id) as { status: string; report_not_before: string | null; report_attempts: number };
    raw.close();
    expect(stopped).toMatchObject({ status: "completed", report_not_before: expect.any(String) });
    expect(stopped.report_attempts).toBeGreaterThanOrEqual(2); // the give-up and at least one delivery failed

    rule.times = 0; // GitHub is back
    s = await open({ database, github: { maxAttempts: 1, retryDelay: "100ms", concurrency: 0 } }); // a delivery runs no notebook: it needs no slot
    const delivered = await waitFor("report delivered after the restart", async () => ((await s.store.get(job.id))?.report_not_before === null ? s.store.get(job.id) : null), 20_000, 20);
    expect(delivered).toMatchObject({ status: "completed", conclusion: "failure", attempts: 1, report_attempts: stopped.report_attempts });
    const run = fake.checkRuns.get(job.check_run_id!)!;
    expect(run).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "Troop failed internally" } });
    expect(run.output.summary).toContain("this is not a problem of the pull request");
    expect(run.output.summary).toContain("SQLITE_FULL: database or disk is full");
    expect(completing(job.check_run_id!).filter((r) => r.status === 200)).toHaveLength(1);
    expect(await s.store.reportsPending()).toBe(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(completing(job.check_run_id!).filter((r) => r.status === 200)).toHaveLength(1); // delivered once
  });

  it("stops delivering after reportRetryFor with GitHub still failing: attempts bounded, spaced by a doubling back-off, and an error in the log", async () => {
    let recording: RecordingStore | undefined;
    const rule = outage();
    try {
      const s = await open({ database: tempDatabase(), github: { maxAttempts: 1, retryDelay: "100ms", reportRetryFor: "1s" }, store: (db: Kysely<unknown>) => (recording = new RecordingStore(db)) });
      const job = await s.queueCheck(12);
      const done = await completed(s, job.id);
      expect(done).toMatchObject({ report_not_before: expect.any(String), report_attempts: 1 });
      const deadline = Date.parse(done!.completed_at!) + 1000;
      const over = await waitFor("gave up delivering", async () => ((await s.store.get(job.id))?.report_not_before === null ? s.store.get(job.id) : null), 20_000, 20);
      const failures = recording!.failures;
      expect(failures.at(-1)!.next).toBeNull(); // given up
      expect(failures.at(-1)!.at).toBeGreaterThanOrEqual(deadline);
      expect(failures.slice(0, -1).every((f) => f.next !== null && f.at < deadline)).toBe(true);
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(failures.length).toBeLessThanOrEqual(5); // 100 ms doubled: at most 0.1 + 0.2 + 0.4 + 0.8 s fit in 1 s, then one at the deadline
      for (let i = 1; i < failures.length; i++) {
        const waited = failures[i]!.at - failures[i - 1]!.at;
        expect(waited).toBeGreaterThanOrEqual(Math.min(100 * 2 ** i, deadline - failures[i - 1]!.at) - 2); // failure i+1 of the report waits 100 ms × 2^i, or until the deadline
      }
      expect(over).toMatchObject({ status: "completed", conclusion: "failure", report_attempts: failures.length + 1 });
      const gaveUp = s.logs.find((l) => l.includes("gave up reporting the check to GitHub after github.reportRetryFor"));
      expect(JSON.parse(gaveUp!)).toMatchObject({ level: 50, check: job.id, attempts: failures.length + 1, reportRetryForMs: 1000 });
      for (const t of fake.tokens) expect(s.logs.join("")).not.toContain(t);
      const sent = completing(job.check_run_id!).length;
      expect(sent).toBe(failures.length + 2); // the attempt, the give-up, each delivery
      await new Promise((r) => setTimeout(r, 500));
      expect(completing(job.check_run_id!)).toHaveLength(sent); // no more tries
      expect(fake.checkRuns.get(job.check_run_id!)!.status).not.toBe("completed");
      expect(await s.store.reportsPending()).toBe(0);
    } finally {
      rule.times = 0;
    }
  });

  it("does not deliver again, nor append annotations twice, when the completion reached GitHub and only a later batch of annotations failed", async () => {
    const s = await open({ database: tempDatabase(), github: { concurrency: 0, retryDelay: "100ms" } });
    const job = await s.queueCheck(13);
    const withOutputs = Array.from({ length: 60 }, (_, i) => `nb/${i}.ipynb`); // a warning annotation each: two batches
    const rule: FailureRule = { method: "PATCH", path: /\/check-runs\/\d+$/, when: (b) => b?.status === undefined, times: 1 }; // the second batch
    fake.failRequests(rule);
    await s.store.complete(job.id, "success", { commit: job.head_sha, notebooks: [], with_outputs: withOutputs, error: null }, new Date()); // a report pending, due now
    s.queue.kick();
    const done = await waitFor("report handled", async () => ((await s.store.get(job.id))?.report_not_before === null ? s.store.get(job.id) : null), 20_000, 20);
    expect(done).toMatchObject({ status: "completed", conclusion: "success" });
    expect(rule.times).toBe(0); // the second batch was refused
    await new Promise((r) => setTimeout(r, 400));
    expect(completing(job.check_run_id!).map((r) => r.status)).toEqual([200]); // completed once, not again
    expect(fake.checkRuns.get(job.check_run_id!)).toMatchObject({ status: "completed", conclusion: "success", annotations: expect.any(Array) });
    expect(fake.checkRuns.get(job.check_run_id!)!.annotations).toHaveLength(50); // the first batch, once
    expect(s.logs.some((l) => l.includes("its remaining annotations could not be added") && l.includes('"annotationsLeft":10'))).toBe(true);
  });

  it("migration 0006 upgrades a database at 0005 with its checks: no report pending, and a report can then be marked pending", async () => {
    const database = tempDatabase();
    await (await SqliteFlockStore.open(database)).close();
    const raw = new SQLite(database); // bring it back to 0005, as a release before this one left it
    raw.exec("DROP INDEX github_checks_report; ALTER TABLE github_checks DROP COLUMN report_not_before; ALTER TABLE github_checks DROP COLUMN report_attempts; DELETE FROM kysely_migration WHERE name = '0006_github_checks_report_pending';");
    expect((raw.prepare("SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1").get() as { name: string }).name).toBe("0005_github_checks_retry_fork");
    const result = JSON.stringify({ commit: "c".repeat(40), notebooks: [], with_outputs: [], error: null });
    const insert = raw.prepare(
      "INSERT INTO github_checks (repo, clone_url, head_sha, head_ref, base_sha, pr_number, check_run_id, installation_id, status, conclusion, created_at, updated_at, started_at, completed_at, attempts, result, fork, not_before) VALUES ('acme/nbs', 'file:///nowhere/nbs.git', ?, 'pr', NULL, ?, NULL, 5, ?, ?, ?, ?, NULL, ?, ?, ?, 0, NULL)",
    );
    const at = new Date().toISOString();
    insert.run("c".repeat(40), 21, "completed", "success", at, at, at, 1, result);
    insert.run("d".repeat(40), 22, "queued", null, at, at, null, 0, null);
    raw.close();

    const s = await open({ database, github: { concurrency: 0 } });
    const [done, waiting] = [await s.store.get(1), await s.store.get(2)];
    expect(done).toMatchObject({ status: "completed", conclusion: "success", result: { commit: "c".repeat(40) }, report_not_before: null, report_attempts: 0 });
    expect(waiting).toMatchObject({ status: "queued", report_not_before: null, report_attempts: 0 });
    expect(await s.store.counts()).toEqual({ queued: 1, in_progress: 0 });
    expect(await s.store.reportsPending()).toBe(0);
    expect(await s.store.dueReports()).toEqual([]);
    const due = new Date(Date.now() + 3_600_000);
    await s.store.complete(1, "success", done!.result, due);
    expect(await s.store.get(1)).toMatchObject({ report_not_before: due.toISOString(), report_attempts: 1 });
    expect(await s.store.reportsPending()).toBe(1);
    expect(await s.store.nextReportAt()).toEqual(due);
  });
});
