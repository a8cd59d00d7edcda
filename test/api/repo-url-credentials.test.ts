/**
 * A notebook flock (or `/run`) whose `repo_url` carries credentials is refused by the API with
 * 422 at `business.options.repo_url`: nothing is stored, so no reader of `GET /flocks/{flock}`
 * or the audit log can see them, and the answer does not echo the token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTroop, type TestTroop } from "../support/troop.js";

const TOKEN = "ghp_repoUrlCanary0123456789abcdef";
const business = (url: string) => ({ type: "NotebookRunnerList", options: { repo_url: url, error_idle_time: "1h" } });
const nbFlock = (url: string) => ({ name: "nb", count: 1, user_spec: { username_prefix: "bot-nb" }, business: business(url) });
const solitary = (url: string) => ({ user: { username: "bot-nb1" }, business: business(url) });

describe("repo_url with credentials through the API", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: "logLevel: debug\nshutdownTimeout: 5s\n" });
  });
  afterAll(async () => troop?.close());

  it("answers 422 at business.options.repo_url and stores nothing", async () => {
    for (const url of [`https://x-access-token:${TOKEN}@github.com/org/nbs.git`, `https://${TOKEN}@github.com/org/nbs.git`, `bot:${TOKEN}@github.com:org/nbs.git`]) {
      for (const [method, path, body] of [["PUT", "/flocks", nbFlock(url)], ["POST", "/run", solitary(url)]] as const) {
        const r = await troop.api(method, path, body);
        expect(r.status, `${method} ${path} ${r.raw}`).toBe(422);
        expect(r.body.code).toBe("invalid_request");
        expect(r.body.errors).toEqual([{ path: "business.options.repo_url", message: expect.stringMatching(/^must not contain .*GIT_CONFIG_KEY_0=http\.https:\/\/github\.com\/\.extraHeader/) }]);
        expect(r.raw).not.toContain(TOKEN);
      }
    }
    expect(await troop.container.store.listFlocks()).toEqual([]);
    expect((await troop.api("GET", "/audit")).body).toEqual([]);
    expect(troop.logs.join("")).not.toContain(TOKEN);
  });

  it("still takes an ssh URL with a user name", async () => {
    const r = await troop.api("PUT", "/flocks", nbFlock("git@github.com:org/nbs.git"));
    expect(r.status, r.raw).toBe(201);
    expect((await troop.api("GET", "/flocks/nb")).body.config.business.options.repo_url).toBe("git@github.com:org/nbs.git");
    expect((await troop.api("DELETE", "/flocks/nb")).status).toBe(204);
  });
});
