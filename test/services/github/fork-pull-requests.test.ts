/**
 * Pull requests from forks: by default (`github.forkPullRequests: skip`) their check completes
 * neutral at once, saying why and how to enable it, and nothing runs (no files listed, no
 * checkout, no lab), re-requests included; with `run` they are queued like any pull request.
 * Through the real composition root with the fake GitHub; no hub is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigText } from "../../../src/config/load.js";
import { githubYaml, pullRequestPayload, repository, SECRET, signedDelivery, startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";
import { startTroop, type TestTroop } from "../../support/troop.js";

describe("pull requests from forks", () => {
  let fake: FakeGitHub;
  const troops: TestTroop[] = [];
  const start = async (extra: Record<string, string> = {}, concurrency = 1) => {
    const t = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", startup: false, yaml: `logLevel: debug\n${githubYaml(fake, { concurrency, extra })}` });
    troops.push(t);
    return t;
  };
  const post = (t: TestTroop, event: string, payload: unknown) => {
    const d = signedDelivery(SECRET, event, payload);
    return t.container.server.inject({ method: "POST", url: "/github/webhook", headers: d.headers, payload: d.body });
  };
  const pr = (number: number, headRepo?: string) => pullRequestPayload({ action: "opened", number, headSha: "f".repeat(40), headRef: "patch-1", baseSha: "a".repeat(40), owner: "acme", repo: "nbs", cloneUrl: "file:///nowhere/nbs.git", installationId: 11, ...(headRepo ? { headRepo } : {}) });

  beforeAll(async () => {
    fake = await startFakeGitHub();
  });
  afterAll(async () => {
    for (const t of troops) await t.close();
    await fake?.close();
  });

  it("completes a fork's check neutral at once, without running it, by default; a re-request too", async () => {
    const troop = await start();
    fake.setPullFiles("acme", "nbs", 21, [{ filename: "a.ipynb", status: "added" }]);
    const r = await post(troop, "pull_request", pr(21, "outsider/nbs"));
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ result: "accepted", detail: expect.stringContaining("fork") });
    const job = await troop.container.github!.store.get(r.json().check);
    expect(job).toMatchObject({ fork: true, status: "completed", conclusion: "neutral", attempts: 0, clone_url: "file:///nowhere/nbs.git" });
    const run = fake.checkRuns.get(job!.check_run_id!)!;
    expect(run).toMatchObject({ name: "Troop (testenv)", head_sha: "f".repeat(40), status: "completed", conclusion: "neutral", output: { title: "Not run: pull request from a fork" } });
    expect(run.output.summary).toContain("github.forkPullRequests: run");
    expect(run.output.summary).toContain("outsider's code");
    expect(run.started_at).toBeNull(); // never in progress

    const again = await post(troop, "check_run", { action: "rerequested", check_run: { id: run.id, head_sha: run.head_sha, pull_requests: [] }, repository: repository("acme", "nbs", "file:///nowhere/nbs.git"), installation: { id: 11 } });
    const rerun = await troop.container.github!.store.get(again.json().check);
    expect(rerun).toMatchObject({ fork: true, status: "completed", conclusion: "neutral", attempts: 0 });
    await new Promise((r) => setTimeout(r, 300)); // the worker (concurrency 1) had time to take anything queued
    expect(fake.requests.filter((q) => q.path.startsWith("/repos/acme/nbs/pulls/21/files"))).toEqual([]);
    expect(await troop.container.github!.store.counts()).toEqual({ queued: 0, in_progress: 0 });
  });

  it("treats a head in the same repository (any case) as no fork, and a deleted fork's head as a fork", async () => {
    const troop = await start({}, 0);
    const same = await post(troop, "pull_request", pr(22, "ACME/NBS"));
    expect(await troop.container.github!.store.get(same.json().check)).toMatchObject({ fork: false, status: "queued" });
    const payload = pr(23);
    (payload.pull_request.head as Record<string, unknown>)["repo"] = null; // GitHub's payload once the fork is deleted
    const deleted = await post(troop, "pull_request", payload);
    expect(await troop.container.github!.store.get(deleted.json().check)).toMatchObject({ fork: true, status: "completed", conclusion: "neutral" });
  });

  it("queues a fork's pull request like any other with forkPullRequests: run", async () => {
    const troop = await start({ forkPullRequests: "run" }, 0);
    const r = await post(troop, "pull_request", pr(24, "outsider/nbs"));
    expect(r.json()).toMatchObject({ result: "accepted", detail: expect.stringContaining("check queued") });
    const job = await troop.container.github!.store.get(r.json().check);
    expect(job).toMatchObject({ fork: true, status: "queued", clone_url: "file:///nowhere/nbs.git" }); // fetched from the base repository
    expect(fake.checkRuns.get(job!.check_run_id!)).toMatchObject({ status: "queued", conclusion: null });
  });

  it("defaults github.forkPullRequests to skip and accepts only skip or run", () => {
    const env = { TROOP_API_TOKEN: "x".repeat(20) };
    expect(loadConfigText("github: {}\n", "t.yaml", env).config.github.forkPullRequests).toBe("skip");
    expect(() => loadConfigText("github:\n  forkPullRequests: always\n", "t.yaml", env)).toThrow(/forkPullRequests/);
  });
});
