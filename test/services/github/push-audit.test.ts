/**
 * A push that refreshes notebook flocks is a change like any other: each refreshed flock gets an
 * audit entry whose actor is `github:<delivery id>` (role `github`, action `refresh_flock`),
 * with the push (repository, ref, commit) in `after`. A push that refreshes nothing records
 * nothing, and a delivery id that is not GitHub's GUID is not copied into the log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubYaml, repository, SECRET, signedDelivery, startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";
import { startTroop, type TestTroop } from "../../support/troop.js";

const nbFlock = (name: string, repo_url: string) => ({ name, count: 1, user_spec: { username_prefix: `bot-${name}` }, business: { type: "NotebookRunnerList", options: { repo_url, repo_ref: "main", error_idle_time: "1h" } } });

describe("audit of refreshes on push", () => {
  let fake: FakeGitHub;
  let troop: TestTroop;
  const push = (payload: unknown, delivery?: string) => {
    const d = signedDelivery(SECRET, "push", payload);
    if (delivery !== undefined) d.headers["x-github-delivery"] = delivery;
    return { id: d.headers["x-github-delivery"], res: troop.container.server.inject({ method: "POST", url: "/github/webhook", headers: d.headers, payload: d.body }) };
  };
  const audit = async () => (await troop.api("GET", "/audit")).body as { actor: string; role: string; action: string; flock: string; before: any; after: any }[];

  beforeAll(async () => {
    fake = await startFakeGitHub();
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: `logLevel: debug\nshutdownTimeout: 5s\n${githubYaml(fake, { concurrency: 0 })}` });
    for (const [name, url] of [["nb-a", "https://github.com/acme/nbs.git"], ["nb-b", "git@github.com:acme/nbs.git"], ["nb-other", "https://github.com/acme/other.git"]] as const) {
      expect((await troop.api("PUT", "/flocks", nbFlock(name, url))).status).toBe(201);
    }
  });
  afterAll(async () => {
    await troop?.close();
    await fake?.close();
  });

  it("records each refreshed flock as done by github:<delivery id>, with the push", async () => {
    const before = (await audit()).length;
    const commit = "c".repeat(40);
    const { id, res } = push({ ref: "refs/heads/main", before: "b".repeat(40), after: commit, deleted: false, repository: repository("acme", "nbs", "https://github.com/acme/nbs.git"), installation: { id: 5 } });
    const r = await res;
    expect(r.statusCode).toBe(202);
    expect(r.json().refreshed).toEqual(["nb-a", "nb-b"]);
    const entries = await audit();
    expect(entries.length).toBe(before + 2);
    for (const e of entries.slice(0, 2)) {
      expect(e).toMatchObject({ actor: `github:${id}`, role: "github", action: "refresh_flock" });
      expect(e.before.config.name).toBe(e.flock);
      expect(e.after).toMatchObject({ config: { name: e.flock }, push: { repository: "acme/nbs", ref: "refs/heads/main", commit } });
    }
    expect(entries.slice(0, 2).map((e) => e.flock).sort()).toEqual(["nb-a", "nb-b"]);
  });

  it("records nothing for a push that refreshes nothing, and no unsigned junk as the actor", async () => {
    const before = (await audit()).length;
    const none = await push({ ref: "refs/heads/other", after: "d".repeat(40), repository: repository("acme", "nbs", "https://github.com/acme/nbs.git") }).res;
    expect(none.json()).toMatchObject({ result: "accepted", refreshed: [] });
    expect((await audit()).length).toBe(before);
    const odd = await push({ ref: "refs/heads/main", after: "e".repeat(40), repository: repository("acme", "other", "https://github.com/acme/other.git") }, "<script>alert(1)</script>").res;
    expect(odd.json().refreshed).toEqual(["nb-other"]);
    expect((await audit())[0]).toMatchObject({ actor: "github:unknown-delivery", flock: "nb-other" });
  });
});
