/**
 * Secrets Troop never saw, on the real JupyterHub: a notebook prints the lab's own
 * `JUPYTERHUB_API_TOKEN` / `JPY_API_TOKEN` (minted by the hub at spawn) with `!env`,
 * `print(os.environ)` and in the exception that fails it. The stored executed notebook, the
 * execution record (message, traceback, output excerpt), the monkey log and the service log keep
 * the names with `[REDACTED]` values. The token itself is unknown to the test too: the notebook
 * prints its SHA-256 and length, and every substring of that length of every kept text is
 * hashed and compared with it.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestRepo, notebook, type TestRepo } from "../support/notebook-repo.js";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");
const code = (source: string) => ({ cell_type: "code" as const, source });

const sha256Of = (s: string) => createHash("sha256").update(s).digest("hex");

/** Whether any `length` characters of `text` hash to `sha256` (the lab token, which nobody outside the lab knows). */
function containsPreimage(text: string, sha256: string, length: number): boolean {
  for (let i = 0; i + length <= text.length; i++) if (sha256Of(text.slice(i, i + length)) === sha256) return true;
  return false;
}

describe.skipIf(!hub)("secrets printed by a notebook on the real hub", () => {
  let troop: TestTroop;
  let repo: TestRepo;
  beforeAll(async () => {
    repo = createTestRepo({
      "env.ipynb": notebook([
        code("import hashlib, os\nt = os.environ['JUPYTERHUB_API_TOKEN']\nprint('lab token sha256:', hashlib.sha256(t.encode()).hexdigest(), 'length:', len(t))"),
        code("!env"),
        code("print(os.environ)"),
        code("raise RuntimeError('JUPYTERHUB_API_TOKEN=' + os.environ['JUPYTERHUB_API_TOKEN'])"),
      ]),
    });
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: "logLevel: debug\nshutdownTimeout: 60s\nhistory: { flushInterval: 50ms }\n" });
  });
  afterAll(async () => troop?.close());

  it("keeps JUPYTERHUB_API_TOKEN=[REDACTED] in the executed notebook, the record and the logs, never the token", async () => {
    const put = await troop.api("PUT", "/flocks", {
      name: "nbenv",
      count: 1,
      user_spec: { username_prefix: "bot-nbenv" },
      business: { type: "NotebookRunnerList", options: { repo_url: repo.url, repo_ref: "main", idle_time: "1h", error_idle_time: "1h", execution_idle_time: 0, spawn_settle_time: 0, jupyter_timeout: "30s", spawn_timeout: "90s" } },
    });
    expect(put.status).toBe(201);
    const monkey = "/flocks/nbenv/monkeys/bot-nbenv1";
    await waitFor("env.ipynb failed", async () => (await troop.api("GET", monkey)).body.last_execution?.result === "failure", 150_000, 200);
    const record = (await troop.api("GET", monkey)).body.last_execution;
    expect(record.error).toMatchObject({ failure_class: "code_error", cell_number: 4 });

    const artifact = await troop.api("GET", `/artifacts/${record.artifact}`);
    expect(artifact.status).toBe(200);
    const outputs = JSON.stringify(artifact.body.cells.map((c: { outputs?: unknown }) => c.outputs ?? []));
    expect(outputs).toContain("JUPYTERHUB_API_TOKEN=[REDACTED]");
    expect(outputs).toContain("JPY_API_TOKEN=[REDACTED]");
    expect(outputs).toContain("'JUPYTERHUB_API_TOKEN': '[REDACTED]'");
    expect(record.error.message).toContain("JUPYTERHUB_API_TOKEN=[REDACTED]");
    expect(record.error.traceback).toContain("JUPYTERHUB_API_TOKEN=[REDACTED]");

    const [, sha256, length] = /lab token sha256: ([0-9a-f]{64}) length: (\d+)/.exec(outputs) ?? [];
    expect(sha256).toBeDefined();
    expect(containsPreimage('"\\nX=abcdef0123456789\\r"', sha256Of("abcdef0123456789"), 16)).toBe(true); // the search itself works
    await troop.container.results.history.flush();
    const stored = (await troop.api("GET", `/executions/${record.id}`)).raw;
    const log = (await troop.api("GET", `${monkey}/log`)).raw;
    for (const text of [artifact.raw, JSON.stringify(record), stored, log, ...troop.logs]) expect(containsPreimage(text, sha256!, Number(length))).toBe(false);
    expect((await troop.api("DELETE", "/flocks/nbenv")).status).toBe(204);
  }, 240_000);
});
