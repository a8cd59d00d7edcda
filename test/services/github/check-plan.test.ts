/**
 * The pull-request check without a hub: what the plan runs (changed notebooks, or every
 * selected one when `mobu.yaml` changes) and what it lists as skipped; a notebook the pass skips
 * for a missing application shown as skipped with its reason (the real notebook pass, a
 * platform that refuses to spawn); a failure's cell source and traceback in the output's text.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RepoConfigError } from "../../../src/businesses/notebook-runner/selection.js";
import { HttpClient } from "../../../src/clients/http.js";
import type { BotSession, Platform } from "../../../src/clients/hub/types.js";
import type { Execution } from "../../../src/models/execution.js";
import { checkResult, renderCheck } from "../../../src/services/github/check-output.js";
import { planCheck } from "../../../src/services/github/check-plan.js";
import { NotebookPass } from "../../../src/services/notebook-pass.js";
import { RepoCache } from "../../../src/store/repo-cache.js";
import { createTestRepo, notebook, type TestRepo } from "../../support/notebook-repo.js";

const code = (source: string) => ({ cell_type: "code" as const, source });
const nb = (source = "print(1)", metadata: Record<string, unknown> = {}) => notebook([code(source)], metadata);

function withOutputs(): string {
  const doc = JSON.parse(nb());
  doc.cells[0].outputs = [{ output_type: "stream", name: "stdout", text: "1\n" }];
  doc.cells[0].execution_count = 1;
  return JSON.stringify(doc);
}

/** A platform whose bots may log in and delete their (absent) lab, and fail any other hub call. */
function noLabPlatform(calls: string[]): Platform {
  const refuse = (what: string) => async () => {
    calls.push(what);
    throw new Error(`${what}: no lab in this test`);
  };
  const session: BotSession = {
    username: "bot-ci1",
    login: async () => void calls.push("login"),
    labState: refuse("labState"),
    requestSpawn: refuse("requestSpawn"),
    waitForSpawn: refuse("waitForSpawn"),
    labLogin: refuse("labLogin"),
    deleteLab: async () => void calls.push("deleteLab"),
    resetCredentials: () => undefined,
    close: async () => undefined,
  };
  return { type: "jupyterhub", session: () => session, stopServers: async () => [] };
}

describe("pull-request check plan", () => {
  let repo: TestRepo;
  beforeAll(() => {
    repo = createTestRepo({
      "a.ipynb": nb(),
      "b/c.ipynb": nb(),
      "needs-tap.ipynb": nb("print('tap')", { mobu: { required_applications: ["tap"] } }),
      "with-outputs.ipynb": withOutputs(),
      "excluded/x.ipynb": nb("1/0"),
      ".hidden/h.ipynb": nb("1/0"),
      "mobu.yaml": 'collection_rules:\n  - type: exclude_union_of\n    patterns: ["excluded/**"]\n',
    });
  });

  it("runs only the notebooks the pull request adds or changes; changed notebooks the selection leaves out are skipped with the reason", async () => {
    const plan = await planCheck(repo.work, [
      { filename: "b/c.ipynb", status: "modified" },
      { filename: "excluded/x.ipynb", status: "added" },
      { filename: ".hidden/h.ipynb", status: "modified" },
      { filename: "gone.ipynb", status: "removed" },
      { filename: "README.md", status: "modified" },
      { filename: "docs/mobu.yaml", status: "added" }, // not the repository's config: that is at the root
    ]);
    expect(plan).toEqual({
      run: ["b/c.ipynb"],
      skipped: [
        { path: ".hidden/h.ipynb", reason: "in a hidden folder" },
        { path: "excluded/x.ipynb", reason: "excluded by mobu.yaml" },
      ],
      withOutputs: [],
      configChanged: false,
    });
  });

  it.each([
    ["modified", [{ filename: "mobu.yaml", status: "modified" }]],
    ["modified beside a notebook", [{ filename: "a.ipynb", status: "modified" }, { filename: "mobu.yaml", status: "modified" }]],
    ["added", [{ filename: "mobu.yaml", status: "added" }]],
    ["removed", [{ filename: "mobu.yaml", status: "removed" }]],
    ["renamed away", [{ filename: "old-mobu.yaml", previous_filename: "mobu.yaml", status: "renamed" }]],
  ])("runs every selected notebook when mobu.yaml is %s", async (_what, changed) => {
    const plan = await planCheck(repo.work, changed);
    expect(plan).toEqual({
      run: ["a.ipynb", "b/c.ipynb", "needs-tap.ipynb", "with-outputs.ipynb"],
      skipped: [], // what mobu.yaml excludes is not a changed notebook: not listed
      withOutputs: ["with-outputs.ipynb"],
      configChanged: true,
    });
  });

  it("fails with the file and the problem when the pull request's mobu.yaml is unusable", async () => {
    const bad = createTestRepo({ "a.ipynb": nb(), "mobu.yaml": "exclude_dirs: 3\n" });
    await expect(planCheck(bad.work, [{ filename: "mobu.yaml", status: "modified" }])).rejects.toThrow(RepoConfigError);
    await expect(planCheck(bad.work, [{ filename: "a.ipynb", status: "modified" }])).rejects.toThrow(/^mobu\.yaml:1:\d+: exclude_dirs: /);
  });

  it("lists a notebook the pass skips for a missing application as skipped, with the reason, and opens no lab for it", async () => {
    const plan = await planCheck(repo.work, [{ filename: "mobu.yaml", status: "modified" }]);
    const only = { ...plan, run: ["needs-tap.ipynb"] };
    const calls: string[] = [];
    const pass = new NotebookPass({
      platform: noLabPlatform(calls),
      http: new HttpClient(),
      user: { username: "bot-ci1", groups: [], scopes: [] },
      url: repo.url,
      ref: "main",
      cellTimeoutMs: 60_000,
      notebookTimeoutMs: 60_000,
      only: only.run,
      notebooks: { repos: new RepoCache(join(mkdtempSync(join(tmpdir(), "troop-plan-")), "repos")), artifacts: null, availableApplications: ["nublado"] },
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      scrub: (t) => t,
    });
    const records = await pass.run(only.run.length);
    expect(calls.filter((c) => c !== "login" && c !== "deleteLab")).toEqual([]); // no lab asked for
    const result = checkResult(repo.head(), only, records);
    expect(result.notebooks).toEqual([expect.objectContaining({ path: "needs-tap.ipynb", verdict: "skipped", reason: "needs-tap.ipynb requires tap, which this deployment does not have" })]);
    const out = renderCheck(result, "testenv");
    expect(out).toMatchObject({ conclusion: "success", title: "No notebook ran: 1 skipped" });
    expect(out.summary).toContain("### Skipped\n\n- `needs-tap.ipynb`: needs-tap.ipynb requires tap, which this deployment does not have");
    expect(out.summary).toContain("- `with-outputs.ipynb`"); // committed with outputs
  });

  it("puts the failing cell's source and whole traceback in the text, and the traceback's end in the annotation", () => {
    const traceback = [
      "---------------------------------------------------------------------------",
      "ZeroDivisionError                         Traceback (most recent call last)",
      "Cell In[2], line 2",
      "      1 print('about to fail')",
      "----> 2 b = a / 0",
      "",
      "ZeroDivisionError: division by zero",
    ].join("\n");
    const record = {
      id: "0001",
      result: "failure",
      duration_ms: 900,
      note: null,
      notebook: { path: "good.ipynb", repo_url: null, repo_ref: null, commit: null, cells: [{ number: 1, id: "a", duration_ms: 10, ok: true }, { number: 2, id: "b", duration_ms: 20, ok: false }] },
      error: { phase: "execute_cell", failure_class: "code_error", message: "good.ipynb, code cell 2 (id b): ZeroDivisionError: division by zero", code: "print('about to fail')\nb = a / 0", exception: "ZeroDivisionError", traceback, notebook: "good.ipynb", cell_number: 2, cell_id: "b", output_tail: "about to fail\n" },
    } as unknown as Execution;
    const out = renderCheck(checkResult("c0ffee", { run: ["good.ipynb"], skipped: [], withOutputs: [], configChanged: false }, new Map([["good.ipynb", record]])), "testenv");
    expect(out.conclusion).toBe("failure");
    expect(out.text).toContain("### `good.ipynb`, cell 2");
    expect(out.text).toContain("```python\nprint('about to fail')\nb = a / 0\n```");
    expect(out.text).toContain(`Traceback:\n\n\`\`\`\n${traceback}\n\`\`\``);
    expect(out.annotations[0]).toMatchObject({ path: "good.ipynb", annotation_level: "failure", title: "Cell 2 failed: ZeroDivisionError" });
    expect(out.annotations[0]!.message).toContain("----> 2 b = a / 0");
  });
});
