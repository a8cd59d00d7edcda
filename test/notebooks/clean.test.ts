/**
 * `troop notebooks clean`: strips outputs, counts and volatile metadata; `--check` lists
 * offenders; a cleaned notebook still runs (Debian's nbclient) and then passes `--check`.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cleanNotebook, parseNotebook } from "../../src/notebooks/clean.js";

const run = promisify(execFile);
const bin = new URL("../../bin/troop.js", import.meta.url).pathname;

const dirty = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" }, widgets: { state: {} } },
  cells: [
    { cell_type: "markdown", id: "m1", metadata: {}, source: ["# Café ☕\n"] },
    {
      cell_type: "code",
      id: "c1",
      metadata: { tags: ["keep-me"], ExecuteTime: { start_time: "2026-01-01" }, scrolled: true },
      execution_count: 7,
      outputs: [{ output_type: "stream", name: "stdout", text: ["4\n"] }],
      source: ["print(2+2)\n"],
    },
  ],
};

async function troop(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args]);
    return { code: 0, out: r.stdout };
  } catch (e) {
    const x = e as { code: number; stdout: string };
    return { code: x.code, out: x.stdout };
  }
}

describe("notebook cleaning", () => {
  it("removes outputs, execution counts and volatile metadata, and keeps tags and kernelspec", () => {
    const { notebook, findings } = cleanNotebook(parseNotebook(JSON.stringify(dirty)));
    expect(findings).toEqual({ outputs: 1, executionCounts: 1, metadataKeys: ["cells[1].metadata.ExecuteTime", "cells[1].metadata.scrolled", "metadata.widgets"] });
    expect(notebook.cells[1]).toMatchObject({ outputs: [], execution_count: null, metadata: { tags: ["keep-me"] } });
    expect(notebook.metadata).toEqual({ kernelspec: dirty.metadata.kernelspec });
    expect(notebook.cells[0]).toEqual(dirty.cells[0]);
  });

  it("says what is wrong with a file that is not a notebook", () => {
    expect(() => parseNotebook("{")).toThrow(/not JSON/);
    expect(() => parseNotebook('{"nbformat": 3, "cells": []}')).toThrow(/only nbformat 4/);
  });

  it("--check lists offenders and exits 1; clean fixes them in place; the result runs in nbclient and passes --check", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troop-clean-"));
    mkdirSync(join(dir, "sub"));
    mkdirSync(join(dir, ".hidden"));
    const nb = join(dir, "sub", "a.ipynb");
    writeFileSync(nb, JSON.stringify(dirty));
    writeFileSync(join(dir, ".hidden", "b.ipynb"), JSON.stringify(dirty));
    const check = await troop("notebooks", "clean", "--check", dir);
    expect(check.code).toBe(1);
    expect(check.out).toContain(`${nb}: 1 output; 1 execution count; metadata cells[1].metadata.ExecuteTime`);
    expect(check.out).not.toContain(".hidden");
    expect(readFileSync(nb, "utf8")).toBe(JSON.stringify(dirty)); // --check changed nothing

    const clean = await troop("notebooks", "clean", dir);
    expect(clean.code).toBe(0);
    expect(clean.out).toContain(`cleaned ${nb}`);
    expect(readFileSync(nb, "utf8")).toContain("Café ☕");

    const py = "import nbformat, nbclient, sys\nnb = nbformat.read(sys.argv[1], as_version=4)\nnbclient.NotebookClient(nb, timeout=60, kernel_name='python3').execute()\nprint(nb.cells[1].outputs[0]['text'], end='')";
    const { stdout } = await run("/usr/bin/python3", ["-c", py, nb], { env: { PATH: "/usr/bin:/bin" } });
    expect(stdout).toBe("4\n");
    expect((await troop("notebooks", "clean", "--check", dir)).code).toBe(0);
  });

  it("reports an unreadable notebook and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troop-clean-"));
    writeFileSync(join(dir, "bad.ipynb"), "not json");
    const r = await troop("notebooks", "clean", "--check", dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bad.ipynb: not JSON/);
  });
});
