/**
 * Notebook runner flocks through Troop's API on the real JupyterHub: the commit recorded with
 * every execution, `POST /flocks/{flock}/refresh` taking effect at the next notebook boundary
 * (never in the middle of a notebook) and reaching every monkey of the flock, and the executed
 * notebook served by `GET /artifacts/{id}`.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestRepo, notebook, type TestRepo } from "../support/notebook-repo.js";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");

/** `running <path> (… commit <sha>)` lines of a monkey's log, in order. */
function runs(log: string): { path: string; commit: string }[] {
  return [...log.matchAll(/running (\S+) \(\d+ code cells, commit ([0-9a-f]+)\)/g)].map((m) => ({ path: m[1]!, commit: m[2]! }));
}

describe.skipIf(!hub)("notebook runner flocks", () => {
  let troop: TestTroop;
  let repo: TestRepo;
  beforeAll(async () => {
    repo = createTestRepo({
      "1-quick.ipynb": notebook([{ cell_type: "code", source: "print('v1')" }]),
      "2-sleep.ipynb": notebook([{ cell_type: "code", source: "import time\ntime.sleep(4)" }]),
    });
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: "logLevel: debug\nshutdownTimeout: 60s\navailableApplications: [nublado]\n" });
  });
  afterAll(async () => troop?.close());
  /** A NotebookRunnerList flock of `count` monkeys on the test repository's main branch, in one lab each. */
  const notebookFlock = (name: string, count: number, prefix: string) => ({
    name,
    count,
    user_spec: { username_prefix: prefix },
    business: {
      type: "NotebookRunnerList",
      options: { repo_url: repo.url, repo_ref: "main", idle_time: 0, execution_idle_time: 0, spawn_settle_time: 0, delete_lab: false, jupyter_timeout: "30s", spawn_timeout: "90s" },
    },
  });

  it("records the commit, and a refresh takes effect at the next notebook boundary", async () => {
    const c1 = repo.head();
    const put = await troop.api("PUT", "/flocks", notebookFlock("nbs", 1, "bot-nbflock"));
    expect(put.status).toBe(201);
    const monkey = "/flocks/nbs/monkeys/bot-nbflock1";
    await waitFor("2-sleep.ipynb running", async () => {
      const m = (await troop.api("GET", monkey)).body;
      return m.last_execution?.notebook?.path === "1-quick.ipynb" && m.business.phase === "execute_cell";
    }, 120_000, 50);
    expect((await troop.api("GET", monkey)).body.last_execution.notebook.commit).toBe(c1);

    const c2 = repo.commit({ "1-quick.ipynb": notebook([{ cell_type: "code", source: "print('v2')" }]), "3-new.ipynb": notebook([{ cell_type: "code", source: "print('new')" }]) });
    const refresh = await troop.api("POST", "/flocks/nbs/refresh");
    expect(refresh.status).toBe(202);
    expect(refresh.body).toEqual({ flock: "nbs", monkeys: 1 });
    expect((await troop.api("GET", monkey)).body.business.refreshing).toBe(true);

    await waitFor("3-new.ipynb ran", async () => runs((await troop.api("GET", `${monkey}/log`)).raw).some((r) => r.path === "3-new.ipynb"), 120_000);
    const log = (await troop.api("GET", `${monkey}/log`)).raw;
    const seen = runs(log);
    const sleepAt = seen.findIndex((r, i) => r.path === "2-sleep.ipynb" && seen[i + 1]?.commit === c2);
    expect(sleepAt).toBeGreaterThan(0);
    expect(seen.slice(0, sleepAt + 1).every((r) => r.commit === c1)).toBe(true);
    expect(seen.slice(sleepAt + 1).every((r) => r.commit === c2)).toBe(true);
    expect(seen[sleepAt + 1]!.path).toBe("1-quick.ipynb");
    // the notebook that was running when the refresh came finished on the old commit, then the new one was cloned
    const afterSleep = log.slice(log.lastIndexOf(`running 2-sleep.ipynb (1 code cells, commit ${c1})`));
    expect(afterSleep).toMatch(new RegExp(`2-sleep\\.ipynb succeeded[\\s\\S]*using file://\\S+ at main: commit ${c2}[\\s\\S]*running 1-quick\\.ipynb \\(1 code cells, commit ${c2}\\)`));
    expect((await troop.api("GET", monkey)).body.business.refreshing).toBe(false);

    const last = (await troop.api("GET", monkey)).body.last_execution;
    const artifact = await troop.api("GET", `/artifacts/${last.artifact}`);
    expect(artifact.status).toBe(200);
    expect(artifact.body).toMatchObject({ nbformat: 4, metadata: { troop: { commit: c2, result: "success" } } });
    expect((await troop.api("GET", "/artifacts/0123456789ab-00000000-0000-0000")).body.code).toBe("not_found");
    expect((await troop.api("GET", "/artifacts/..%2F..%2Fetc%2Fpasswd")).status).toBe(404);
    expect((await troop.api("DELETE", "/flocks/nbs")).status).toBe(204);
  }, 240_000);

  it("a refresh reaches every monkey of a flock of two", async () => {
    const before = repo.head();
    const put = await troop.api("PUT", "/flocks", notebookFlock("pair", 2, "bot-nbpair"));
    expect(put.status).toBe(201);
    const monkeys = ["/flocks/pair/monkeys/bot-nbpair1", "/flocks/pair/monkeys/bot-nbpair2"];
    const commits = async () => Promise.all(monkeys.map(async (m) => (await troop.api("GET", m)).body.last_execution?.notebook?.commit ?? null));
    await waitFor("both monkeys ran a notebook", async () => (await commits()).every((c) => c === before), 180_000, 250);

    const after = repo.commit({ "1-quick.ipynb": notebook([{ cell_type: "code", source: "print('v3')" }]) });
    const refresh = await troop.api("POST", "/flocks/pair/refresh");
    expect(refresh.status).toBe(202);
    expect(refresh.body).toEqual({ flock: "pair", monkeys: 2 });
    await waitFor("both monkeys ran a notebook at the new commit", async () => (await commits()).every((c) => c === after), 180_000, 250);
    for (const m of monkeys) {
      const log = (await troop.api("GET", `${m}/log`)).raw;
      expect(log).toMatch(new RegExp(`using file://\\S+ at main: commit ${after}`));
      expect((await troop.api("GET", m)).body.business.refreshing).toBe(false);
    }
    expect((await troop.api("DELETE", "/flocks/pair")).status).toBe(204);
  }, 240_000);

  it("answers 409 to a refresh of a flock without a repository and 404 for an unknown flock", async () => {
    await troop.api("PUT", "/flocks", { name: "empty", count: 1, user_spec: { username_prefix: "bot-nbempty" }, business: { type: "EmptyLoop", options: { idle_time: "1h" } } });
    const r = await troop.api("POST", "/flocks/empty/refresh");
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("invalid_flock_state");
    expect((await troop.api("POST", "/flocks/nope/refresh")).body.code).toBe("flock_not_found");
    await troop.api("DELETE", "/flocks/empty");
  });
});
