/**
 * The notebook runners against the real JupyterHub (global setup) with the corpus repository
 * the test builds (bare repo, `file://` URL): every corpus case, the failure report, the
 * executed notebook, and agreement with Debian's nbclient on every verdict.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { NotebookRunner, type RunnerMode } from "../../../src/businesses/notebook-runner/business.js";
import { notebookRunnerCountingOptionsSchema } from "../../../src/businesses/notebook-runner/options.js";
import { HttpClient } from "../../../src/clients/http.js";
import { JupyterHubPlatform } from "../../../src/clients/hub/jupyterhub.js";
import type { Execution } from "../../../src/models/execution.js";
import { ArtifactStore } from "../../../src/store/artifacts.js";
import { RepoCache } from "../../../src/store/repo-cache.js";
import { DiscoveryClient } from "../../../src/clients/discovery.js";
import { DiscoveryService } from "../../../src/services/discovery.js";
import { businessContract } from "../contract.js";
import { testContext } from "../context.js";
import { repertoireDocument, startDiscoveryServer } from "../../support/discovery-server.js";
import { CORPUS, createCorpusRepo, createTestRepo, notebook, type TestRepo } from "../../support/notebook-repo.js";

const hub = inject("hub");
const run = promisify(execFile);
const CELL_TIMEOUT_S = 4;

describe.skipIf(!hub)("notebook runners on a real JupyterHub", () => {
  let repo: TestRepo;
  let platform: JupyterHubPlatform;
  let repos: RepoCache;
  let artifacts: ArtifactStore;
  let n = 0;
  beforeAll(() => {
    repo = createCorpusRepo();
    platform = new JupyterHubPlatform({ http: new HttpClient(), url: hub.url, adminToken: hub.adminToken, tokenLifetimeMs: 3_600_000 });
    const data = mkdtempSync(join(tmpdir(), "troop-nbdata-"));
    repos = new RepoCache(join(data, "repos"));
    artifacts = new ArtifactStore(join(data, "artifacts"));
  });

  function runner(opts: { mode?: RunnerMode; url?: string; rawUrl?: string; ref?: string; options?: Record<string, unknown>; onExecution?: (r: Execution) => void; restart?: boolean; apps?: string[] | (() => readonly string[]); lines?: string[] }) {
    const parsed = notebookRunnerCountingOptionsSchema.parse({
      repo_url: opts.url ?? repo.url,
      repo_ref: opts.ref ?? "main",
      cell_timeout: CELL_TIMEOUT_S,
      notebook_timeout: "60s",
      spawn_settle_time: 0,
      execution_idle_time: 0,
      idle_time: 0,
      error_idle_time: 0,
      jupyter_timeout: "30s",
      spawn_timeout: "90s",
      ...opts.options,
    });
    // rawUrl: past the schema (which refuses credentials in a URL), to show git's messages are scrubbed anyway
    const options = opts.rawUrl === undefined ? parsed : { ...parsed, repo_url: opts.rawUrl };
    const ctx = testContext({ options, platform, restart: opts.restart, onExecution: opts.onExecution, username: `bot-nb${++n}` });
    const lines = opts.lines;
    const log = lines ? { debug: (m: string) => void lines.push(`DEBUG ${m}`), info: (m: string) => void lines.push(`INFO ${m}`), warn: (m: string) => void lines.push(`WARN ${m}`), error: (m: string) => void lines.push(`ERROR ${m}`) } : ctx.log;
    return new NotebookRunner({ ...ctx, log, notebooks: { repos, artifacts, availableApplications: opts.apps ?? ["nublado"] } }, opts.mode ?? "list");
  }

  describe("the corpus, once through with NotebookRunnerList", () => {
    const records = new Map<string, Execution>();
    const lines: string[] = [];
    const expected = Object.entries(CORPUS).filter(([, c]) => c.expect.verdict !== "excluded");
    beforeAll(async () => {
      const b = runner({ lines, onExecution: (r) => records.set(r.notebook?.path ?? "(none)", r) });
      await b.run(expected.length);
    }, 300_000);

    it("selects every notebook at any depth but the excluded folder and hidden folders", () => {
      expect([...records.keys()].sort()).toEqual(expected.map(([p]) => p).sort());
      expect(records.has("nested/deeper/inner.ipynb")).toBe(true);
    });

    it.each(expected)("%s: %j", (path, c) => {
      const r = records.get(path)!;
      expect(r.result).toBe(c.expect.verdict);
      expect(r.notebook).toMatchObject({ path, repo_url: repo.url, repo_ref: "main", commit: repo.head() });
      if (c.expect.verdict === "failure") {
        expect(r.error).toMatchObject({ failure_class: c.expect.failureClass, notebook: path, cell_number: c.expect.cell ?? null });
      }
    });

    it("reports a failure in the second code cell with its number, id, source, traceback and output tail", () => {
      const r = records.get("fail-second.ipynb")!;
      expect(r.error).toMatchObject({ phase: "execute_cell", failure_class: "code_error", exception: "ZeroDivisionError", cell_number: 2, cell_id: "boom", code: "print('about to fail')\nb = a / 0" });
      expect(r.error!.message).toBe("fail-second.ipynb, code cell 2 (id boom): ZeroDivisionError: division by zero");
      expect(r.error!.traceback).toMatch(/ZeroDivisionError/);
      expect(r.error!.traceback).not.toMatch(/\u001b\[/);
      expect(r.error!.output_tail).toContain("about to fail");
      expect(r.notebook!.cells.map((x) => [x.number, x.id, x.ok])).toEqual([
        [1, "first-ok", true],
        [2, "boom", false],
      ]);
    });

    it("fails a cell that overruns cell_timeout within seconds, interrupting the kernel", () => {
      const r = records.get("slow.ipynb")!;
      expect(r.error).toMatchObject({ phase: "execute_cell", failure_class: "timeout", cell_id: "sleepy", code: "import time\ntime.sleep(120)" });
      expect(r.error!.message).toMatch(/slow\.ipynb, code cell 2 \(id sleepy\): timed out after cell_timeout 4s/);
      expect(r.notebook!.cells[1]!.duration_ms).toBeLessThan(CELL_TIMEOUT_S * 1000 + 2000);
      expect(r.error!.output_tail).toBe("");
      // The kernel answered a request queued behind the 120 s sleep within jupyter_timeout (30 s):
      // only an interrupt ends that sleep so soon. Then the session was deleted.
      const names = r.phases.map((p) => p.name);
      const at = names.lastIndexOf("execute_cell");
      expect(names.slice(at, at + 3), JSON.stringify(r.phases)).toEqual(["execute_cell", "interrupt_kernel", "delete_session"]);
      expect(r.phases[at + 1]).toMatchObject({ ok: true });
      expect(lines).toContainEqual(expect.stringMatching(/^INFO slow\.ipynb, code cell 2 \(id sleepy\): kernel interrupted, idle again after [\d.]+m?s$/));
      expect(lines.join("\n")).not.toMatch(/did not answer afterwards/);
    });

    it("fails a dying kernel at once with dead_kernel", () => {
      const r = records.get("dies.ipynb")!;
      // dead_kernel rather than timeout: noticed before cell_timeout ran out
      expect(r.error).toMatchObject({ phase: "execute_cell", failure_class: "dead_kernel", cell_number: 2, cell_id: "exit", code: "import os\nos._exit(1)" });
      expect(r.error!.message).toMatch(/^dies\.ipynb, code cell 2 \(id exit\): kernel died while running code/);
    });

    it("fails a malformed notebook with invalid_notebook and the parse error, and runs the others", () => {
      const r = records.get("broken.ipynb")!;
      expect(r.error).toMatchObject({ phase: "read_notebook", failure_class: "invalid_notebook", cell_number: null });
      expect(r.error!.message).toMatch(/^broken\.ipynb: not JSON: /);
    });

    it("skips a notebook that needs an application the deployment lacks, and runs one whose old required_services are there", () => {
      expect(records.get("needs-tap.ipynb")).toMatchObject({ result: "skipped", note: "needs-tap.ipynb requires tap, which this deployment does not have", error: null });
      expect(records.get("old-services.ipynb")!.result).toBe("success");
    });

    it("keeps the executed notebook with outputs up to and including the failing cell", async () => {
      const r = records.get("fail-second.ipynb")!;
      const nb = JSON.parse((await artifacts.read(r.artifact!))!);
      const codeCells = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
      expect(codeCells[0].execution_count).toBeTypeOf("number");
      expect(codeCells[1].outputs.map((o: { output_type: string }) => o.output_type)).toEqual(["stream", "error"]);
      expect(codeCells[1].outputs[1]).toMatchObject({ ename: "ZeroDivisionError" });
      expect(codeCells[2]).toMatchObject({ outputs: [], execution_count: null });
      expect(nb.metadata.troop).toMatchObject({ notebook: "fail-second.ipynb", result: "failure", failed_cell: { number: 2, id: "boom" }, commit: repo.head() });
    });

    it("keeps non-ASCII and more than 1 MB of output intact", async () => {
      const r = records.get("unicode-big.ipynb")!;
      const nb = JSON.parse((await artifacts.read(r.artifact!))!);
      const [first, big, last] = nb.cells;
      expect(first.outputs[0].text).toBe("héllo wörld ✓ 日本語 🚀\n");
      expect(big.outputs[0].text.length).toBe(1_200_001);
      expect(last.outputs[0]).toMatchObject({ output_type: "execute_result", data: { "text/plain": "'ünïcode result'" } });
    });

    it("runs IPython magics and ! shell commands, and honours skip-execution and raises-exception", async () => {
      const magics = JSON.parse((await artifacts.read(records.get("magics.ipynb")!.artifact!))!);
      expect(magics.cells[1].outputs[0].text).toContain("shell-says-hi");
      const tags = records.get("tags.ipynb")!;
      expect(tags.notebook!.cells.map((c) => c.number)).toEqual([2, 3]);
    });

    it("agrees with nbclient on every verdict and failing cell", async () => {
      const paths = expected.filter(([, c]) => c.expect.verdict !== "skipped").map(([p]) => p);
      const { stdout } = await run("/usr/bin/python3", [new URL("../../support/nbclient_verdicts.py", import.meta.url).pathname, repo.work, String(CELL_TIMEOUT_S), ...paths], {
        env: { PATH: "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", PYDEVD_DISABLE_FILE_VALIDATION: "1" },
        timeout: 240_000,
        maxBuffer: 1 << 24,
      });
      const reference = JSON.parse(stdout) as Record<string, { verdict: string; cell: number | null }>;
      const ours = Object.fromEntries(paths.map((p) => [p, { verdict: records.get(p)!.result, cell: records.get(p)!.error?.cell_number ?? null }]));
      const theirs = Object.fromEntries(paths.map((p) => [p, { verdict: reference[p]!.verdict, cell: reference[p]!.cell }]));
      expect(ours).toEqual(theirs);
    }, 300_000);
  });

  it("fails phase clone_repo with git's message for an unreachable URL, without credentials, and keeps going", async () => {
    const records: Execution[] = [];
    const b = runner({ rawUrl: "https://user:s3cr3t@127.0.0.1:9/nope.git", onExecution: (r) => records.push(r), options: { error_idle_time: 0.01 } });
    void b.run();
    while (records.length < 2) await new Promise((r) => setTimeout(r, 100));
    await b.stop();
    expect(records[0]!.error).toMatchObject({ phase: "clone_repo", failure_class: "repo_error" });
    expect(records[0]!.error!.message).toMatch(/^git fetch failed: .*127\.0\.0\.1/);
    expect(JSON.stringify(records)).not.toContain("s3cr3t");
  }, 60_000);

  it("fails phase clone_repo with git's message for an unknown ref, waits twice as long after each failure, and clones once the ref exists", async () => {
    const later = createTestRepo({ "a.ipynb": notebook([{ cell_type: "code", source: "print('a')" }]) });
    const records: Execution[] = [];
    const lines: string[] = [];
    const b = runner({ url: later.url, ref: "later", lines, onExecution: (r) => records.push(r), options: { error_idle_time: 0 } });
    const running = b.run(4);
    while (records.length < 3) await new Promise((r) => setTimeout(r, 50));
    execFileSync("git", ["push", "-q", "origin", "main:later"], { cwd: later.work }); // the ref appears
    await running;
    expect(records.map((r) => [r.result, r.error?.phase ?? null])).toEqual([
      ["failure", "clone_repo"],
      ["failure", "clone_repo"],
      ["failure", "clone_repo"],
      ["success", null],
    ]);
    for (const r of records.slice(0, 3)) {
      expect(r.error).toMatchObject({ failure_class: "repo_error", notebook: null });
      expect(r.error!.message).toMatch(/^git fetch failed: fatal: couldn't find remote ref later/);
    }
    expect(records[3]!.notebook).toMatchObject({ path: "a.ipynb", repo_ref: "later", commit: later.head() });
    // error_idle_time 0: at least 1 s, doubled after each failure in a row
    const backoff = lines.filter((l) => l.startsWith("WARN no usable checkout")).map((l) => l.replace(/^.*\((\d+) failures? in a row\); next attempt in (.*)$/, "$1 $2"));
    expect(backoff).toEqual(["1 1s", "2 2s", "3 4s"]);
    // and the monkey did wait that long (lower bounds only: the pauses are timers)
    const gaps = [0, 1, 2].map((i) => Date.parse(records[i + 1]!.started_at) - Date.parse(records[i]!.ended_at));
    expect(gaps[0]).toBeGreaterThanOrEqual(990);
    expect(gaps[1]).toBeGreaterThanOrEqual(1990);
    expect(gaps[2]).toBeGreaterThanOrEqual(3990);
  }, 120_000);

  it("fails on notebook_timeout in the cell that runs when the notebook's time is up", async () => {
    const sleepy = (id: string) => ({ cell_type: "code" as const, source: "import time\ntime.sleep(3)", id });
    const long = createTestRepo({ "long.ipynb": notebook([sleepy("s1"), sleepy("s2"), sleepy("s3")]) });
    const records: Execution[] = [];
    await runner({ url: long.url, onExecution: (r) => records.push(r), options: { notebook_timeout: 5, cell_timeout: 30 } }).run(1);
    expect(records[0]!.error).toMatchObject({ phase: "execute_cell", failure_class: "timeout", cell_number: 2, cell_id: "s2" });
    expect(records[0]!.error!.message).toBe("long.ipynb, code cell 2 (id s2): timed out after notebook_timeout 5s");
    expect(records[0]!.notebook!.cells[1]!.duration_ms).toBeLessThan(2900);
  }, 120_000);

  it("fails a dying kernel with dead_kernel well before a long cell_timeout", async () => {
    const dying = createTestRepo({ "dies.ipynb": CORPUS["dies.ipynb"]!.text });
    const records: Execution[] = [];
    await runner({ url: dying.url, onExecution: (r) => records.push(r), options: { cell_timeout: 120 } }).run(1);
    expect(records[0]!.error).toMatchObject({ phase: "execute_cell", failure_class: "dead_kernel", cell_number: 2, cell_id: "exit" });
    // noticed when jupyter-server restarts the kernel (its poll is every few seconds), not at the 120 s limit
    expect(records[0]!.notebook!.cells[1]).toMatchObject({ number: 2, ok: false });
    expect(records[0]!.notebook!.cells[1]!.duration_ms).toBeLessThan(30_000);
  }, 120_000);

  it("NotebookRunnerCounting with max_executions 2 deletes the lab after every second notebook and spawns a new one", async () => {
    const two = createTestRepo({ "a.ipynb": notebook([{ cell_type: "code", source: "print('a')" }]), "b.ipynb": notebook([{ cell_type: "code", source: "print('b')" }]) });
    const records: Execution[] = [];
    // copies: the base class hands over the record with its live phase list, to which the stop's own delete_lab is appended later
    await runner({ mode: "counting", url: two.url, onExecution: (r) => records.push(r), options: { max_executions: 2, delete_lab: true } }).run(4);
    expect(records.map((r) => r.result)).toEqual(["success", "success", "success", "success"]);
    const labPhases = records.map((r) => r.phases.map((p) => p.name).filter((n) => n === "spawn_lab" || n === "delete_lab"));
    expect(labPhases).toEqual([["spawn_lab"], ["delete_lab"], ["spawn_lab"], ["delete_lab"]]);
    expect(records.every((r) => r.phases.every((p) => p.ok))).toBe(true);
  }, 180_000);

  it("fails phase find_notebooks naming mobu.yaml and the problem", async () => {
    const bad = createTestRepo({ "a.ipynb": notebook([{ cell_type: "code", source: "1" }]), "mobu.yaml": "collection_rules:\n  - type: include\n    patterns: ['*']\n" });
    const records: Execution[] = [];
    const b = runner({ url: bad.url, onExecution: (r) => records.push(r) });
    await b.run(1);
    expect(records[0]!.error).toMatchObject({ phase: "find_notebooks", failure_class: "repo_error" });
    expect(records[0]!.error!.message).toMatch(/^mobu\.yaml:2:11: collection_rules\[0\]\.type: /);
  });

  it("NotebookRunnerInfinite goes on past one pass in the same lab; an application only discovery lists counts; notebook sessions; first cell is execution 1", async () => {
    const discovery = await startDiscoveryServer();
    const service = new DiscoveryService({ client: new DiscoveryClient(new HttpClient(), discovery.url), configuredApplications: ["nublado"], refreshIntervalMs: 3_600_000, timeoutMs: 5000, logger: pino({ level: "silent" }) });
    try {
      discovery.doc = repertoireDocument(discovery.base, { applications: ["tap"] });
      await service.start();
      // the session's type as jupyter-server sees it, asked from inside the kernel with the server's own token
      const sessionTypes = [
        "import json, os, urllib.request",
        "req = urllib.request.Request(os.environ['JUPYTERHUB_SERVICE_URL'].rstrip('/') + '/api/sessions', headers={'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN']})",
        "print(json.dumps(sorted({s['type'] for s in json.load(urllib.request.urlopen(req))})))",
      ].join("\n");
      const inf = createTestRepo({
        "needs-tap.ipynb": notebook([{ cell_type: "code", source: sessionTypes, id: "types" }, { cell_type: "code", source: "1 + 1", id: "two" }], { mobu: { required_applications: ["tap"] } }),
        "plain.ipynb": notebook([{ cell_type: "code", source: "print('plain')", id: "p" }]),
      });
      const records: Execution[] = [];
      await runner({ mode: "infinite", url: inf.url, apps: () => service.applications(), onExecution: (r) => records.push(r) }).run(5);
      expect(records.map((r) => [r.notebook?.path, r.result, r.error?.message ?? null])).toHaveLength(5);
      expect(records.every((r) => r.result === "success"), JSON.stringify(records.map((r) => r.error))).toBe(true);
      const paths = records.map((r) => r.notebook!.path);
      expect(paths.filter((p) => p === "needs-tap.ipynb").length).toBeGreaterThanOrEqual(2); // ran in the first pass and again after it
      expect(paths.filter((p) => p === "plain.ipynb").length).toBeGreaterThanOrEqual(2);
      const phases = records.map((r) => r.phases.map((p) => p.name));
      expect(phases.slice(1).every((names) => !names.includes("spawn_lab")), JSON.stringify(phases)).toBe(true); // one lab for every pass
      expect(phases.slice(0, -1).every((names) => !names.includes("delete_lab")), JSON.stringify(phases)).toBe(true); // deleted only when the monkey stops
      const tapRun = records.find((r) => r.notebook!.path === "needs-tap.ipynb")!;
      const nb = JSON.parse((await artifacts.read(tapRun.artifact!))!);
      expect(nb.cells.map((c: { execution_count: number | null }) => c.execution_count)).toEqual([1, 2]); // Troop's setup code is not counted
      expect(JSON.parse(nb.cells[0].outputs[0].text)).toEqual(["notebook"]);
    } finally {
      service.stop();
      await discovery.close();
    }
  }, 240_000);

  businessContract(() => ({
    canFail: true,
    make: ({ failing, restart, idleMs, onExecution }) => {
      const single = failing ? "fail-second.ipynb" : "pass.ipynb";
      const rules = [{ type: "intersect_union_of", patterns: [single] }];
      return runner({ mode: "counting", restart, onExecution, options: { collection_rules: rules, max_executions: 1, idle_time: idleMs / 1000, delete_lab: false } });
    },
  }));
});
