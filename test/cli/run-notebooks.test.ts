/**
 * `troop run-notebooks` as a process (the compiled CLI, like the other CLI tests) against the
 * real JupyterHub: exit codes, the closing table, JUnit XML checked against the schema's shape
 * (parsed by Python's XML parser), executed notebooks in --output-dir, and the progress bar on
 * a pseudo-terminal (util-linux `script`) versus plain lines on a pipe.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { troop } from "../support/cli-process.js";
import { createTestRepo, notebook, type TestRepo } from "../support/notebook-repo.js";

const hub = inject("hub");
const run = promisify(execFile);

/** The JUnit document as Python's XML parser reads it: every element with its tag, attributes, text and children. */
async function parseXml(file: string): Promise<any> {
  const py = "import json,sys,xml.etree.ElementTree as E\ndef j(e): return {'tag': e.tag, 'attrib': e.attrib, 'text': (e.text or '').strip(), 'children': [j(c) for c in e]}\nprint(json.dumps(j(E.parse(sys.argv[1]).getroot())))";
  return JSON.parse((await run("/usr/bin/python3", ["-c", py, file])).stdout);
}

const code = (source: string, id?: string) => ({ cell_type: "code" as const, source, id });

describe.skipIf(!hub)("troop run-notebooks", () => {
  let repo: TestRepo;
  const env = () => ({ TROOP_HUB_ADMIN_TOKEN: hub.adminToken });
  beforeAll(() => {
    repo = createTestRepo({
      "ok.ipynb": notebook([{ cell_type: "markdown", source: "# ok" }, code("import time\ntime.sleep(1)"), code("print('fine')"), code("import os\nprint('JUPYTERHUB_API_TOKEN=' + os.environ['JUPYTERHUB_API_TOKEN'])")]),
      "sub/fail.ipynb": notebook([code("x = 1", "one"), code("print('ouch')\nx / 0", "boom")]),
      "needs-tap.ipynb": notebook([code("print(1)")], { mobu: { required_applications: ["tap"] } }),
      "broken.ipynb": '{"nbformat": 4, "cells": [',
      "excluded/never.ipynb": notebook([code("raise SystemExit(3)")]),
      "mobu.yaml": "exclude_dirs: [excluded]\n",
    });
  });

  it("runs a Git repository: exit 1 on a failure, a closing table, JUnit XML (a malformed notebook as <error>) and the executed notebooks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troop-cli-nb-"));
    const junit = join(dir, "report.xml");
    const r = await troop(["run-notebooks", repo.url, "--hub", hub.url, "--ref", "main", "--user", "bot-cli-check", "--cell-timeout", "30s", "--junit", junit, "--output-dir", join(dir, "out")], env());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^4 notebooks selected in file:\/\/.* \(commit [0-9a-f]{12}\); running them as bot-cli-check/);
    expect(r.stdout).toMatch(/\n\[1\/4\] FAIL broken\.ipynb \([\d.]+ s\): broken\.ipynb: not JSON: /);
    expect(r.stdout).toContain("[2/4] SKIP needs-tap.ipynb (0.0 s): needs-tap.ipynb requires tap");
    expect(r.stdout).toMatch(/\nNOTEBOOK +RESULT +DURATION +FAILING CELL\n/);
    expect(r.stdout).toMatch(/\nbroken\.ipynb +FAIL +[\d.]+ s +- \(read_notebook\)\n/);
    expect(r.stdout).toMatch(/\nsub\/fail\.ipynb +FAIL +[\d.]+ s +2 \(boom\)\n/);
    expect(r.stdout).toContain("1 passed, 2 failed, 1 skipped");
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout + r.stderr).not.toContain(hub.adminToken);

    const xml = await parseXml(junit);
    expect(xml).toMatchObject({ tag: "testsuites", attrib: { tests: "4", failures: "1", errors: "1", skipped: "1" } });
    const suite = xml.children[0];
    expect(suite).toMatchObject({ tag: "testsuite", attrib: { name: repo.url, tests: "4", failures: "1", errors: "1", skipped: "1" } });
    expect(Number(suite.attrib.time)).toBeGreaterThan(0);
    expect(suite.attrib.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const cases = suite.children.filter((c: any) => c.tag === "testcase");
    expect(cases.map((c: any) => c.attrib.name)).toEqual(["broken.ipynb", "needs-tap.ipynb", "ok.ipynb", "sub/fail.ipynb"]);
    for (const c of cases) expect(Object.keys(c.attrib).sort()).toEqual(["classname", "name", "time"]);
    // failed before any cell could run: an <error>, not a <failure>
    expect(cases[0].children).toHaveLength(1);
    expect(cases[0].children[0]).toMatchObject({ tag: "error", attrib: { type: "invalid_notebook" }, text: "", children: [] });
    expect(cases[0].children[0].attrib.message).toMatch(/^broken\.ipynb: not JSON: /);
    expect(cases[1].children).toMatchObject([{ tag: "skipped", attrib: { message: "needs-tap.ipynb requires tap, which this deployment does not have" } }]);
    expect(cases[2].children).toEqual([]);
    expect(cases[3].children).toMatchObject([{ tag: "failure", attrib: { type: "code_error", message: "sub/fail.ipynb, code cell 2 (id boom): ZeroDivisionError: division by zero" } }]);
    expect(cases[3].children[0].text).toMatch(/ZeroDivisionError[\s\S]*--- output \(tail\) ---\nouch[\s\S]*--- cell source ---\nprint\('ouch'\)\nx \/ 0$/);
    expect(suite.children[0]).toMatchObject({ tag: "properties", children: [{ attrib: { name: "source", value: repo.url } }, { attrib: { name: "commit", value: repo.head() } }] });

    const executed = JSON.parse(readFileSync(join(dir, "out", "sub", "fail.ipynb"), "utf8"));
    expect(executed.cells[1].outputs.map((o: any) => o.output_type)).toEqual(["stream", "error"]);
    const ok = readFileSync(join(dir, "out", "ok.ipynb"), "utf8"); // the lab's own token, printed by a cell, is redacted
    expect(ok).toContain("JUPYTERHUB_API_TOKEN=[REDACTED]");
    expect(ok).not.toMatch(/JUPYTERHUB_API_TOKEN=(?!\[REDACTED\])\w/);
    expect(existsSync(join(dir, "out", "needs-tap.ipynb"))).toBe(false);
    expect(existsSync(join(dir, "out", "broken.ipynb"))).toBe(false);
    expect(existsSync(join(dir, "out", "excluded"))).toBe(false);
    const user = await (await fetch(`${hub.apiUrl}/users/bot-cli-check`, { headers: { authorization: `token ${hub.adminToken}` } })).json();
    expect(user.servers).toEqual({});
  }, 240_000);

  it("runs a local folder and exits 0 when nothing failed; skipped notebooks do not fail the run", async () => {
    const local = createTestRepo({ "a.ipynb": notebook([code("print('a')")]), "b/c.ipynb": notebook([code("print('c')")], { mobu: { required_applications: ["sia"] } }) });
    const r = await troop(["run-notebooks", local.work, "--hub", hub.url, "--user", "bot-cli-local", "--available-applications", "tap,sia"], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^2 notebooks selected in .*\/work \(commit [0-9a-f]{12}\)/);
    expect(r.stdout).toContain("2 passed, 0 failed, 0 skipped");
  }, 240_000);

  it("draws a progress bar on a terminal", async () => {
    const local = createTestRepo({ "slow.ipynb": notebook([code("import time\ntime.sleep(2)"), code("print('x')")]) });
    const r = await troop(["run-notebooks", local.work, "--hub", hub.url, "--user", "bot-cli-pty"], env(), { pty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\r\u001b\[2K\[-{24}\] 1\/1 {2}slow\.ipynb {2}cell 1\/2 {2}0:0\d/);
    expect(r.stdout).toMatch(/\r\u001b\[2K\[1\/1\] PASS slow\.ipynb/);
    expect(r.stdout).toContain("1 passed, 0 failed, 0 skipped");
  }, 240_000);

  it("exits 2 without the admin token in the environment, for an unknown ref, and for bad arguments", async () => {
    const noToken = await troop(["run-notebooks", repo.url, "--hub", hub.url]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/set TROOP_HUB_ADMIN_TOKEN/);
    const badRef = await troop(["run-notebooks", repo.url, "--hub", hub.url, "--ref", "nope"], env());
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toMatch(/git fetch failed: fatal: couldn't find remote ref nope/);
    const badArgs = await troop(["run-notebooks", repo.url, "--hub", hub.url, "--cell-timeout", "soon", "--user", "alice"], env());
    expect(badArgs.code).toBe(2);
    expect(badArgs.stderr).toMatch(/user: a bot username begins with bot-; cellTimeout: expected a duration/);
  });
});
