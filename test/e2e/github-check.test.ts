/**
 * The GitHub integration end to end on the real JupyterHub, with the fake GitHub API and a
 * local bare repository as the pull request's repository: a pull request that breaks a
 * notebook gets a failed check naming the notebook, the cell and the error, with the traceback;
 * one that fixes it a success; a re-request runs again; checks queued (or left in progress)
 * when Troop stops run after the restart; a push to a flock's branch makes the flock pick up
 * the commit; a pull request from a fork is not run by default, and runs with
 * `github.forkPullRequests: run`; and one that changes `mobu.yaml` runs every selected
 * notebook, listing one that needs a missing application as skipped with the reason. At the
 * end, no GitHub secret (app key, webhook secret, installation tokens) is in anything Troop sent
 * GitHub, answered, logged, stored or wrote.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hasChromium, openBrowser, SHOTS } from "../support/browser.js";
import { githubYaml, pullRequestPayload, repository, signedDelivery, startFakeGitHub, type FakeCheckRun, type FakeFile, type FakeGitHub, SECRET } from "../support/fake-github.js";
import { dataDirOf } from "../../src/store/data-dir.js";
import { createTestRepo, notebook, type TestRepo } from "../support/notebook-repo.js";
import { databaseRows, fileSources, findSecrets } from "../support/secret-scan.js";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");
const code = (source: string) => ({ cell_type: "code" as const, source });

/** A notebook committed with outputs (a warning annotation). */
function withOutputs(): string {
  const nb = JSON.parse(notebook([code("print('hi')")]));
  nb.cells[0].outputs = [{ output_type: "stream", name: "stdout", text: "hi\n" }];
  nb.cells[0].execution_count = 1;
  return JSON.stringify(nb, null, 1);
}

describe.skipIf(!hub)("GitHub pull-request checks and refresh on push", () => {
  let fake: FakeGitHub;
  let repo: TestRepo;
  let troop: TestTroop;
  let base: string;
  const database = join(mkdtempSync(join(tmpdir(), "troop-gh-")), "troop.sqlite");
  /** Every Troop of the file (restarts included) and every webhook answer: scanned for secrets at the end. */
  const instances: TestTroop[] = [];
  const answers: string[] = [];
  const start = async (o: Parameters<typeof startTroop>[0]): Promise<TestTroop> => {
    const t = await startTroop(o);
    instances.push(t);
    return t;
  };
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@troop.invalid", ...args], { cwd: repo.work, encoding: "utf8" }).trim();
  /** Commit files on `branch` (created from main when new), push it, and go back to main. */
  const commitOn = (branch: string, files: Record<string, string>): string => {
    git("checkout", "-q", ...(git("branch", "--list", branch) ? [branch] : ["-b", branch, "main"]));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(repo.work, path)), { recursive: true });
      writeFileSync(join(repo.work, path), text);
      git("add", path);
    }
    git("commit", "-q", "-m", `update ${branch}`);
    git("push", "-q", "origin", branch);
    const sha = git("rev-parse", "HEAD");
    git("checkout", "-q", "main");
    return sha;
  };
  const changedFiles = (from: string, to: string): FakeFile[] =>
    git("diff", "--name-status", `${from}...${to}`)
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [s, f] = l.split("\t") as [string, string];
        return { filename: f, status: s === "A" ? "added" : s === "D" ? "removed" : "modified" };
      });
  const deliver = (t: TestTroop, event: string, payload: unknown) => {
    const d = signedDelivery(SECRET, event, payload);
    return t.container.server.inject({ method: "POST", url: "/github/webhook", headers: d.headers, payload: d.body }).then((r) => (answers.push(r.body), r));
  };
  const openPr = async (t: TestTroop, action: string, number: number, head: string, branch: string) => {
    fake.setPullFiles("acme", "nbs", number, changedFiles(base, head));
    const r = await deliver(t, "pull_request", pullRequestPayload({ action, number, headSha: head, headRef: branch, baseSha: base, owner: "acme", repo: "nbs", cloneUrl: repo.url, installationId: 5 }));
    expect(r.statusCode).toBe(202);
    return r.json() as { check: number };
  };
  const completed = (t: TestTroop, check: number) =>
    waitFor(`check ${check} completed`, async () => {
      const job = await t.container.github!.store.get(check);
      return job?.status === "completed" ? fake.checkRuns.get(job.check_run_id!)! : null;
    }, 240_000, 250) as Promise<FakeCheckRun>;

  beforeAll(async () => {
    fake = await startFakeGitHub();
    repo = createTestRepo({ "good.ipynb": notebook([code("a = 1"), code("b = a + 1")]), "other.ipynb": notebook([code("print('other')")]), "excluded/x.ipynb": notebook([code("1/0")]), "mobu.yaml": 'collection_rules:\n  - type: exclude_union_of\n    patterns: ["excluded/**"]\n' });
    base = repo.head();
    troop = await start({ hubUrl: hub.url, adminToken: hub.adminToken, database, yaml: `logLevel: debug\nshutdownTimeout: 60s\n${githubYaml(fake, { concurrency: 1, users: 2 })}` });
  });
  afterAll(async () => {
    await troop?.close();
    await fake?.close();
  });

  it("fails a pull request that breaks a notebook, naming notebook, cell and error; passes the fix; re-runs on request", async () => {
    const broken = commitOn("break", {
      "good.ipynb": notebook([code("a = 1"), code("print('about to fail')\nb = a / 0"), code("print('never')")]),
      "with-outputs.ipynb": withOutputs(),
      "excluded/y.ipynb": notebook([code("print('never runs')")]),
    });
    const first = await openPr(troop, "opened", 1, broken, "break");
    const run1 = await completed(troop, first.check);
    expect(run1).toMatchObject({ name: "Troop (testenv)", head_sha: broken, status: "completed", conclusion: "failure" });
    expect(run1.started_at).toBeTruthy();
    expect(run1.output.title).toBe("1 of 2 notebooks failed");
    expect(run1.output.summary).toMatch(/\| `good\.ipynb` \| ❌ failure \| [\d.]+m?s \| 2 \|/);
    expect(run1.output.summary).toMatch(/\| `with-outputs\.ipynb` \| ✅ success \|/);
    expect(run1.output.summary).toContain("- `excluded/y.ipynb`: excluded by mobu.yaml");
    expect(run1.output.summary).not.toContain("other.ipynb"); // unchanged: not run
    expect(run1.output.text).toContain("### `good.ipynb`, cell 2");
    expect(run1.output.text).toContain("b = a / 0");
    expect(run1.output.text).toContain("ZeroDivisionError");
    // the kernel's traceback (ANSI stripped), not only the error's name: where it was raised, then the error
    const text = run1.output.text ?? "";
    const traceback = text.slice(text.indexOf("Traceback:\n\n```"));
    expect(traceback).toMatch(/^Traceback:\n\n```\n[\s\S]*Traceback \(most recent call last\)[\s\S]*b = a \/ 0[\s\S]*\nZeroDivisionError: division by zero\n```/);
    expect(traceback).not.toContain("\u001b");
    expect(run1.annotations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "good.ipynb", annotation_level: "failure", title: "Cell 2 failed: ZeroDivisionError" }),
        expect.objectContaining({ path: "with-outputs.ipynb", annotation_level: "warning" }),
      ]),
    );
    const job1 = await troop.container.github!.store.get(first.check);
    expect(job1).toMatchObject({ conclusion: "failure", attempts: 1, result: { commit: broken } });

    const fixed = commitOn("break", { "good.ipynb": notebook([code("a = 1"), code("b = a / 1")]) });
    const second = await openPr(troop, "synchronize", 1, fixed, "break");
    const run2 = await completed(troop, second.check);
    expect(run2).toMatchObject({ head_sha: fixed, conclusion: "success", output: { title: "2 notebooks passed, 1 skipped" } });

    const again = await deliver(troop, "check_run", { action: "rerequested", check_run: { id: run2.id, head_sha: fixed, pull_requests: [] }, repository: repository("acme", "nbs", repo.url), installation: { id: 5 } });
    expect(again.json()).toMatchObject({ result: "accepted" });
    const run3 = await completed(troop, again.json().check);
    expect(run3.id).not.toBe(run2.id);
    expect(run3).toMatchObject({ head_sha: fixed, conclusion: "success" });

    const summary = (await troop.api("GET", "/summary")).body.github;
    expect(summary).toMatchObject({ queued: 0, in_progress: 0 });
    expect(summary.recent.slice(0, 3).map((c: { conclusion: string }) => c.conclusion)).toEqual(["success", "success", "failure"]);
    expect(summary.recent[2]).toMatchObject({ pr_number: 1, notebooks: 2, failures: 1 });
    for (const t of fake.tokens) expect(troop.logs.join("")).not.toContain(t);
    expect(readdirSync(join(dirname(database), "troop-data", "ci-checkouts"))).toEqual([]); // each check's checkout is deleted
  }, 400_000);

  it.skipIf(!hasChromium())("shows the CI queue and the recent checks on the dashboard overview", async () => {
    await troop.container.server.listen({ host: "127.0.0.1", port: 0 });
    const addr = troop.container.server.server.address();
    const browser = await openBrowser();
    try {
      const { page } = browser;
      await page.goto(`http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/ui`);
      await page.fill("#login input[name=token]", troop.token);
      await page.click("#login button[type=submit]");
      await page.waitForSelector("body[data-ready='1']", { timeout: 15_000 });
      expect(await page.textContent("#ci-checks + p")).toMatch(/^Troop \(testenv\): 0 queued, 0 running \(concurrency 1\)$/);
      const rows = await page.locator("#ci-checks ~ .table-wrap tbody tr").allTextContents();
      expect(rows.length).toBe(3); // the failure, the fix and its re-run, newest first
      expect(rows[0]).toMatch(/acme\/nbs #1.*success/);
      expect(rows[2]).toMatch(/acme\/nbs #1.*failure/);
      await page.locator("#ci-checks").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, "ci-checks.png"), fullPage: true });
      expect(browser.blocked).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it("completes checks that were queued or in progress when Troop stopped", async () => {
    await troop.close();
    troop = await start({ hubUrl: hub.url, adminToken: hub.adminToken, database, yaml: `logLevel: debug\nshutdownTimeout: 60s\n${githubYaml(fake, { concurrency: 0, users: 2 })}` });
    const head = commitOn("again", { "other.ipynb": notebook([code("print('changed')")]) });
    const queued = await openPr(troop, "opened", 2, head, "again");
    const interrupted = await openPr(troop, "opened", 3, head, "again"); // another PR: not superseded by the first
    const claimed = await troop.container.github!.store.claimNext(); // as if a worker had started it, then the process died
    expect(claimed).toMatchObject({ id: queued.check, status: "in_progress", attempts: 1 });
    expect(await troop.container.github!.store.counts()).toEqual({ queued: 1, in_progress: 1 });
    await troop.close();

    troop = await start({ hubUrl: hub.url, adminToken: hub.adminToken, database, yaml: `logLevel: debug\nshutdownTimeout: 60s\n${githubYaml(fake, { concurrency: 2, users: 2 })}` });
    const [a, b] = await Promise.all([completed(troop, queued.check), completed(troop, interrupted.check)]);
    expect(a).toMatchObject({ head_sha: head, conclusion: "success", output: { title: "1 notebook passed" } });
    expect(b).toMatchObject({ head_sha: head, conclusion: "success" });
    expect(await troop.container.github!.store.get(queued.check)).toMatchObject({ attempts: 2 });
    expect(await troop.container.github!.store.get(interrupted.check)).toMatchObject({ attempts: 1 });
  }, 400_000);

  it("a push to the flock's branch makes a running notebook flock pick up the new commit", async () => {
    const c1 = repo.head();
    const put = await troop.api("PUT", "/flocks", {
      name: "ghnbs",
      count: 1,
      user_spec: { username_prefix: "bot-ghflock" },
      business: { type: "NotebookRunnerList", options: { repo_url: repo.url, repo_ref: "main", idle_time: 0, execution_idle_time: 0, spawn_settle_time: 0, delete_lab: false, jupyter_timeout: "30s", spawn_timeout: "90s" } },
    });
    expect(put.status).toBe(201);
    const monkey = "/flocks/ghnbs/monkeys/bot-ghflock1";
    await waitFor("first notebook ran", async () => (await troop.api("GET", monkey)).body.last_execution?.notebook?.commit === c1, 180_000);
    const c2 = repo.commit({ "other.ipynb": notebook([code("print('merged')")]) });
    const other = await deliver(troop, "push", { ref: "refs/heads/other", after: c2, repository: repository("acme", "nbs", repo.url), installation: { id: 5 } });
    expect(other.json()).toMatchObject({ result: "accepted", refreshed: [] });
    const push = await deliver(troop, "push", { ref: "refs/heads/main", before: c1, after: c2, deleted: false, repository: repository("acme", "nbs", `${repo.url.replace(/\.git$/, "")}/`), installation: { id: 5 } });
    expect(push.statusCode).toBe(202);
    expect(push.json()).toMatchObject({ result: "accepted", event: "push", refreshed: ["ghnbs"] });
    await waitFor("a notebook ran at the pushed commit", async () => (await troop.api("GET", monkey)).body.last_execution?.notebook?.commit === c2, 180_000, 250);
    const log = (await troop.api("GET", `${monkey}/log`)).raw;
    expect(log).toMatch(new RegExp(`commit ${c1}[\\s\\S]*using file://\\S+ at main: commit ${c2}`));
    expect((await troop.api("DELETE", "/flocks/ghnbs")).status).toBe(204);
  }, 400_000);

  it("runs a pull request from a fork only with forkPullRequests: run, its head fetched from the base repository", async () => {
    // The fork's commit is on no branch of the base repository: GitHub keeps it as refs/pull/<n>/head there.
    git("checkout", "-q", "-b", "fork-patch", "main");
    writeFileSync(join(repo.work, "other.ipynb"), notebook([code("print('from a fork')")]));
    git("commit", "-q", "-am", "a contribution from a fork");
    const head = git("rev-parse", "HEAD");
    git("push", "-q", "origin", "HEAD:refs/pull/9/head");
    git("checkout", "-q", "main");
    git("branch", "-q", "-D", "fork-patch");
    fake.setPullFiles("acme", "nbs", 9, changedFiles(base, head));
    const payload = (n: number) => pullRequestPayload({ action: "opened", number: n, headSha: head, headRef: "patch-1", baseSha: base, owner: "acme", repo: "nbs", cloneUrl: repo.url, installationId: 5, headRepo: "outsider/nbs" });

    const skipped = (await deliver(troop, "pull_request", payload(9))).json() as { check: number };
    const notRun = await completed(troop, skipped.check);
    expect(notRun).toMatchObject({ head_sha: head, conclusion: "neutral", started_at: null, output: { title: "Not run: pull request from a fork" } });

    await troop.close();
    troop = await start({ hubUrl: hub.url, adminToken: hub.adminToken, database, yaml: `logLevel: debug\nshutdownTimeout: 60s\n${githubYaml(fake, { concurrency: 1, users: 2, extra: { forkPullRequests: "run" } })}` });
    const ran = (await deliver(troop, "pull_request", { ...payload(9), action: "synchronize" })).json() as { check: number };
    const run = await completed(troop, ran.check);
    expect(run).toMatchObject({ head_sha: head, conclusion: "success", output: { title: "1 notebook passed" } });
    expect(await troop.container.github!.store.get(ran.check)).toMatchObject({ fork: true, attempts: 1, result: { commit: head } });
  }, 400_000);

  it("runs every selected notebook when a pull request changes mobu.yaml, listing one that needs a missing application as skipped with the reason", async () => {
    const mainHead = git("rev-parse", "main");
    const head = commitOn("config", {
      "mobu.yaml": 'collection_rules:\n  - type: exclude_union_of\n    patterns: ["excluded/**", "drafts/**"]\n',
      "needs-tap.ipynb": notebook([code("print('tap')")], { mobu: { required_applications: ["tap"] } }),
    });
    const files = changedFiles(mainHead, head);
    expect(files.map((f) => f.filename).sort()).toEqual(["mobu.yaml", "needs-tap.ipynb"]); // good.ipynb and other.ipynb are unchanged
    fake.setPullFiles("acme", "nbs", 4, files);
    const r = await deliver(troop, "pull_request", pullRequestPayload({ action: "opened", number: 4, headSha: head, headRef: "config", baseSha: mainHead, owner: "acme", repo: "nbs", cloneUrl: repo.url, installationId: 5 }));
    expect(r.statusCode).toBe(202);
    const run = await completed(troop, (r.json() as { check: number }).check);
    expect(run).toMatchObject({ head_sha: head, conclusion: "success", output: { title: "2 notebooks passed, 1 skipped" } });
    expect(run.output.summary).toMatch(/\| `good\.ipynb` \| ✅ success \|/);
    expect(run.output.summary).toMatch(/\| `other\.ipynb` \| ✅ success \|/);
    expect(run.output.summary).toContain("### Skipped\n\n- `needs-tap.ipynb`: needs-tap.ipynb requires tap, which this deployment does not have");
    expect(run.output.summary).not.toContain("excluded/x.ipynb"); // still excluded by the new mobu.yaml (it would fail: 1/0)
    const job = await troop.container.github!.store.get((r.json() as { check: number }).check);
    expect(job!.result!.notebooks.map((n) => [n.path, n.verdict])).toEqual([
      ["good.ipynb", "success"],
      ["needs-tap.ipynb", "skipped"],
      ["other.ipynb", "success"],
    ]);
  }, 400_000);

  it("leaves no GitHub secret in what Troop sent GitHub, answered, logged, stored or wrote", async () => {
    await troop.api("GET", "/summary");
    await troop.api("GET", "/ui");
    const keyLines = fake.privateKey.split("\n").filter((l) => l && !l.startsWith("-----"));
    const canaries: Record<string, string> = {
      "webhook secret": SECRET,
      "app private key (a line of it)": keyLines[Math.floor(keyLines.length / 2)]!,
      ...Object.fromEntries(fake.tokens.map((t, i) => [`installation token ${i}`, t])),
    };
    expect(fake.tokens.length, "installation tokens minted").toBeGreaterThanOrEqual(3);
    const sent = fake.requests.filter((r) => r.body !== null && r.body !== undefined);
    expect(sent.filter((r) => r.path.includes("/check-runs")).length).toBeGreaterThanOrEqual(6);
    const sources = [
      ...sent.map((r, i) => ({ where: `request ${i} to GitHub (${r.method} ${r.path})`, text: JSON.stringify(r.body) })),
      ...answers.map((text, i) => ({ where: `webhook answer ${i}`, text })),
      ...instances.flatMap((t, n) => [...t.responses.map((text, i) => ({ where: `troop ${n} response ${i}`, text })), ...t.logs.map((text, i) => ({ where: `troop ${n} log line ${i}`, text }))]),
      ...databaseRows(database),
      ...fileSources(dataDirOf(troop.container.config)),
    ];
    expect(sources.filter((s) => s.where.startsWith("table github_checks")).length).toBeGreaterThanOrEqual(5);
    expect(findSecrets(canaries, sources)).toEqual([]);
  });
});
