/**
 * A check that fails inside Troop (not in its notebooks) is queued again at once with its
 * attempt counted and a back-off, and after `github.maxAttempts` it is completed, in the
 * database and on GitHub, as "Troop failed internally"; when even that report fails the check
 * still completes in the database, with its report pending, delivered once GitHub answers again,
 * and the queue goes on (more on pending reports in pending-reports.test.ts). A check left in
 * progress by more restarts than `maxAttempts` gives up without running. Fake GitHub on
 * 127.0.0.1, no hub.
 */
import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../../src/models/github.js";
import { SqliteCheckStore } from "../../../src/store/github-checks.js";
import { startFakeGitHub } from "../../support/fake-github.js";
import { waitFor } from "../../support/troop.js";
import { tempDatabase, useCheckStacks } from "../../support/github-check-stack.js";

/** A store whose `saveResult` always fails, as a full disk would; records when it was called. */
class FailingStore extends SqliteCheckStore {
  readonly calls: number[] = [];
  override async saveResult(_id: number, _result: CheckResult): Promise<void> {
    this.calls.push(Date.now());
    throw new Error("SQLITE_FULL: database or disk is full");
  }
}

const fake = await startFakeGitHub();
const { open, completing, completed } = useCheckStacks(fake);

describe("checks that fail inside Troop", () => {
  it("re-queues a check whose completing report failed, after a back-off, and only reports its result again", async () => {
    const s = await open({ database: tempDatabase(), github: { maxAttempts: 3, retryDelay: "300ms" } });
    fake.failRequests({ method: "PATCH", path: /\/check-runs\/\d+$/, when: (b) => b?.status === "completed", times: 1 });
    const job = await s.queueCheck(1);
    const done = await completed(s, job.id);
    expect(done).toMatchObject({ status: "completed", conclusion: "failure", attempts: 2, result: { error: expect.stringContaining("git fetch failed") } });
    expect(completing(job.check_run_id!).map((r) => r.status)).toEqual([500, 200]);
    expect(fake.checkRuns.get(job.check_run_id!)).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "Troop could not run the check" } });
    expect(fake.requests.filter((r) => r.path.startsWith("/repos/acme/nbs/pulls/1/files"))).toHaveLength(1); // the second attempt only reported
    const retry = s.logs.find((l) => l.includes("queued again"));
    expect(JSON.parse(retry!)).toMatchObject({ check: job.id, attempt: 1, maxAttempts: 3, retryInMs: 300 });
  });

  it("completes a check failing at every attempt as 'Troop failed internally', on GitHub and in the store, attempts bounded and spaced", async () => {
    let failing: FailingStore | undefined;
    const s = await open({ database: tempDatabase(), github: { maxAttempts: 3, retryDelay: "150ms" }, store: (db: Kysely<unknown>) => (failing = new FailingStore(db)) });
    const job = await s.queueCheck(2);
    const done = await completed(s, job.id);
    expect(done).toMatchObject({ conclusion: "failure", attempts: 3, result: { error: expect.stringContaining("Troop failed internally 3 times: SQLITE_FULL") } });
    expect(failing!.calls).toHaveLength(3);
    const [a, b, c] = failing!.calls as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(150); // back-off, doubled
    expect(c - b).toBeGreaterThanOrEqual(300);
    const run = fake.checkRuns.get(job.check_run_id!)!;
    expect(run).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "Troop failed internally" } });
    expect(run.output.summary).toContain("this is not a problem of the pull request");
    expect(run.output.summary).toContain("SQLITE_FULL: database or disk is full");
    await new Promise((r) => setTimeout(r, 700));
    expect(failing!.calls).toHaveLength(3); // not run again
  });

  it("when every report fails during the attempts, completes the check in the store with its report pending, and delivers the same conclusion once GitHub answers again", async () => {
    const s = await open({ database: tempDatabase(), github: { maxAttempts: 2, retryDelay: "100ms" } });
    const outage = { method: "PATCH", path: /\/check-runs\/\d+$/, when: (b: { status?: string } | null) => b?.status === "completed", times: 1_000 };
    fake.failRequests(outage);
    const job = await s.queueCheck(3);
    const done = await completed(s, job.id);
    expect(done).toMatchObject({ conclusion: "failure", attempts: 2, report_not_before: expect.any(String), report_attempts: 1 });
    expect(await s.store.reportsPending()).toBe(1);
    expect(fake.checkRuns.get(job.check_run_id!)!.status).not.toBe("completed"); // GitHub could not be told
    expect(s.logs.some((l) => l.includes("its report is pending and delivered again later"))).toBe(true);
    const givenUp = completing(job.check_run_id!)[2]!.body as { conclusion: string; output: { title: string; summary: string } }; // 2 attempts, then the give-up
    outage.times = 0; // GitHub answers again
    await waitFor("report delivered", async () => (await s.store.get(job.id))?.report_not_before === null, 20_000, 20);
    const statuses = completing(job.check_run_id!).map((r) => r.status);
    expect(statuses.slice(0, 3)).toEqual([500, 500, 500]);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.filter((st) => st === 200)).toHaveLength(1);
    expect(fake.checkRuns.get(job.check_run_id!)).toMatchObject({ status: "completed", conclusion: givenUp.conclusion, output: { title: givenUp.output.title, summary: givenUp.output.summary } });
    expect(givenUp).toMatchObject({ conclusion: "failure", output: { title: "Troop could not run the check" } }); // its stored result, not "failed internally"
    expect(await s.store.get(job.id)).toMatchObject({ status: "completed", conclusion: "failure", attempts: 2, report_not_before: null });
    expect(await s.store.reportsPending()).toBe(0);
    expect(s.logs.some((l) => l.includes("pending report of the check delivered to GitHub"))).toBe(true);
    const next = await s.queueCheck(4);
    expect(await completed(s, next.id)).toMatchObject({ attempts: 1, conclusion: "failure" });
    expect(fake.checkRuns.get(next.check_run_id!)).toMatchObject({ status: "completed", conclusion: "failure" });
    for (const t of fake.tokens) expect(s.logs.join("")).not.toContain(t);
  });

  it("gives up a check left in progress by more restarts than maxAttempts, without running it, and never runs it again", async () => {
    const database = tempDatabase();
    const github = { maxAttempts: 2, concurrency: 0 };
    let s = await open({ database, github });
    const job = await s.queueCheck(5);
    for (let restart = 1; restart <= 2; restart++) {
      expect(await s.store.claimNext()).toMatchObject({ id: job.id, status: "in_progress", attempts: restart }); // a worker took it, then Troop stopped
      await s.close();
      s = await open({ database, github });
      expect(await s.store.get(job.id)).toMatchObject({ status: "queued", attempts: restart });
    }
    await s.close();
    const before = fake.requests.length;
    s = await open({ database, github: { ...github, concurrency: 1 } });
    const done = await completed(s, job.id);
    expect(done).toMatchObject({ conclusion: "failure", attempts: 3, result: { error: "gave up after 2 attempts (Troop stopped while the check ran)" } });
    const run = fake.checkRuns.get(job.check_run_id!)!;
    expect(run).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "Troop could not run the check" } });
    expect(run.output.summary).toContain("gave up after 2 attempts");
    const since = fake.requests.slice(before).filter((r) => !r.path.includes("/access_tokens"));
    expect(since.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /repos/acme/nbs/check-runs/${run.id}`]); // no files listed, no "in progress": not run
    await s.close();
    s = await open({ database, github: { ...github, concurrency: 1 } });
    await new Promise((r) => setTimeout(r, 300));
    expect(await s.store.get(job.id)).toMatchObject({ status: "completed", attempts: 3 });
  });
});
