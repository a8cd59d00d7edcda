/**
 * `POST /github/webhook` through the real composition root, with the fake GitHub API and the
 * queue held (concurrency 0): signatures, accepted organisations, ignored events, a pull
 * request queued in the database with its check run created, re-requests, and the config
 * (environment variables, located errors). No hub is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfigText } from "../../../src/config/load.js";
import { githubYaml, pullRequestPayload, repository, SECRET, signedDelivery, startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";
import { startTroop, type TestTroop } from "../../support/troop.js";

describe("GitHub webhook", () => {
  let fake: FakeGitHub;
  let troop: TestTroop;
  const post = (event: string, payload: unknown, mutate?: (d: ReturnType<typeof signedDelivery>) => void) => {
    const d = signedDelivery(SECRET, event, payload);
    mutate?.(d);
    return troop.container.server.inject({ method: "POST", url: "/github/webhook", headers: d.headers, payload: d.body });
  };
  const pr = (action: string, number = 1) => pullRequestPayload({ action, number, headSha: "b".repeat(40), headRef: "feature", baseSha: "a".repeat(40), owner: "acme", repo: "nbs", cloneUrl: "file:///nowhere/nbs.git", installationId: 11 });

  beforeAll(async () => {
    fake = await startFakeGitHub();
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", startup: false, yaml: `logLevel: debug\n${githubYaml(fake, { concurrency: 0 })}` });
  });
  afterAll(async () => {
    await troop?.close();
    await fake?.close();
  });

  it("rejects a missing or bad signature with 401 invalid_signature", async () => {
    const missing = await post("pull_request", pr("opened"), (d) => delete d.headers["x-hub-signature-256"]);
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe("invalid_signature");
    const wrong = await post("pull_request", pr("opened"), (d) => (d.headers["x-hub-signature-256"] = `sha256=${"0".repeat(64)}`));
    expect(wrong.statusCode).toBe(401);
    const tampered = await post("pull_request", pr("opened"), (d) => (d.body = d.body.replace('"opened"', '"closed"')));
    expect(tampered.statusCode).toBe(401);
    const sha1 = await post("pull_request", pr("opened"), (d) => (d.headers["x-hub-signature-256"] = d.headers["x-hub-signature-256"]!.replace("sha256=", "sha1=")));
    expect(sha1.statusCode).toBe(401);
  });

  it("answers 403 org_not_accepted for another organisation", async () => {
    const payload = { ...pr("opened"), repository: repository("evil", "nbs", "file:///x.git") };
    const r = await post("pull_request", payload);
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe("org_not_accepted");
  });

  it("acknowledges unknown events and irrelevant actions with 202 ignored", async () => {
    const ping = await post("ping", { zen: "Keep it logically awesome.", hook_id: 1 });
    expect(ping.statusCode).toBe(202);
    expect(ping.json()).toMatchObject({ result: "ignored", event: "ping" });
    const closed = await post("pull_request", pr("closed"));
    expect(closed.statusCode).toBe(202);
    expect(closed.json()).toMatchObject({ result: "ignored", event: "pull_request.closed" });
    const form = await troop.container.server.inject({ method: "POST", url: "/github/webhook", headers: { ...signedDelivery(SECRET, "issues", {}).headers, "content-type": "application/x-www-form-urlencoded" }, payload: "payload=%7B%7D" });
    expect(form.statusCode).toBe(401); // body and signature disagree, whatever the content type
  });

  it("queues a pull request in the database and creates its check run (status queued)", async () => {
    const before = fake.checkRuns.size;
    const r = await post("pull_request", pr("opened", 3));
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ result: "accepted", event: "pull_request.opened" });
    const job = await troop.container.github!.store.get(r.json().check);
    expect(job).toMatchObject({ repo: "acme/nbs", pr_number: 3, head_sha: "b".repeat(40), status: "queued", installation_id: 11, clone_url: "file:///nowhere/nbs.git" });
    expect(fake.checkRuns.size).toBe(before + 1);
    const run = fake.checkRuns.get(job!.check_run_id!)!;
    expect(run).toMatchObject({ name: "Troop (testenv)", head_sha: "b".repeat(40), status: "queued", external_id: String(job!.id) });
    for (const action of ["synchronize", "reopened"]) expect((await post("pull_request", pr(action, 3))).json().result).toBe("accepted");
    // each new delivery for PR 3 cancelled the one still queued before it, on GitHub too
    expect(await troop.container.github!.store.get(job!.id)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(fake.checkRuns.get(job!.check_run_id!)).toMatchObject({ status: "completed", conclusion: "cancelled", output: { title: "Superseded" } });

    // a re-request of that check run queues it again, from the stored check
    const rerun = await post("check_run", { action: "rerequested", check_run: { id: run.id, head_sha: run.head_sha, pull_requests: [] }, repository: repository("acme", "nbs", "file:///nowhere/nbs.git"), installation: { id: 11 } });
    expect(rerun.json()).toMatchObject({ result: "accepted", event: "check_run.rerequested" });
    expect(await troop.container.github!.store.get(rerun.json().check)).toMatchObject({ pr_number: 3, status: "queued" });
    const suite = await post("check_suite", { action: "rerequested", check_suite: { head_sha: "c".repeat(40), head_branch: "x", pull_requests: [{ number: 4, head: { sha: "c".repeat(40), ref: "x" }, base: { sha: "a".repeat(40) } }] }, repository: repository("acme", "nbs", "file:///nowhere/nbs.git"), installation: { id: 11 } });
    expect(suite.json()).toMatchObject({ result: "accepted", event: "check_suite.rerequested" });
    const unknownSuite = await post("check_suite", { action: "rerequested", check_suite: { head_sha: "d".repeat(40), pull_requests: [] }, repository: repository("acme", "nbs", "file:///nowhere/nbs.git"), installation: { id: 11 } });
    expect(unknownSuite.json()).toMatchObject({ result: "ignored" });

    const summary = await troop.api("GET", "/summary");
    expect(summary.body.github).toMatchObject({ check_name: "Troop (testenv)", concurrency: 0, queued: 2, in_progress: 0, reports_pending: 0 }); // PR 3's newest and PR 4
    expect(summary.body.github.recent[0]).toMatchObject({ repo: "acme/nbs", pr_number: 4, status: "queued" });
  });

  it("never shows the webhook secret, the private key or a token in responses or logs", async () => {
    const secrets = [SECRET, fake.privateKey, ...fake.tokens];
    expect(fake.tokens.length).toBeGreaterThan(0);
    for (const s of secrets) expect(troop.scrubber.seen).toContain(s);
    const text = troop.logs.join("") + troop.responses.join("") + JSON.stringify(await troop.container.github!.store.recent(100));
    for (const s of secrets) expect(text).not.toContain(s);
    const openapi = await troop.api("GET", "/openapi.json");
    expect(openapi.body.paths["/github/webhook"].post).toBeDefined();
  });
});

describe("GitHub config", () => {
  it("takes the app id, private key and webhook secret from the environment", () => {
    const env = { TROOP_API_TOKEN: "x".repeat(20), TROOP_GITHUB_APP_ID: "77", TROOP_GITHUB_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----", TROOP_GITHUB_WEBHOOK_SECRET: "s3cret-s3cret" };
    const { config } = loadConfigText("github:\n  enabled: true\n  acceptedOrgs: [acme]\n", "t.yaml", env);
    expect(config.github).toMatchObject({ enabled: true, appId: 77, webhookSecret: "s3cret-s3cret", apiUrl: "https://api.github.com", concurrency: 1, users: [{ username: "bot-troop-ci" }], scopes: ["exec:notebook"] });
    expect(Object.isFrozen(config.github)).toBe(true);
  });

  it("reports missing secrets and a concurrency above the users, located", () => {
    const err = (() => {
      try {
        loadConfigText("github:\n  enabled: true\n  concurrency: 3\n", "t.yaml", {});
      } catch (e) {
        return e as ConfigError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const msgs = err!.problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
    expect(msgs).toEqual(expect.arrayContaining([expect.stringMatching(/^3:github\.concurrency: at most the number of users \(1\)/), expect.stringMatching(/github\.appId: required .*TROOP_GITHUB_APP_ID/), expect.stringMatching(/github\.webhookSecret: .*TROOP_GITHUB_WEBHOOK_SECRET/)]));
  });
});
