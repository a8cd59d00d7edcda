/**
 * Purpose: a local Git repository of test notebooks (the corpus of issue 3) that tests build
 * on disk: a work tree plus a bare repository served by `file://` URL, and helpers to commit
 * changes to it. Each corpus notebook says what Troop and nbclient should make of it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

type Cell = { cell_type: "code" | "markdown" | "raw"; source: string; id?: string; tags?: string[] };

/** An nbformat 4.5 notebook as text. */
export function notebook(cells: Cell[], metadata: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" }, ...metadata },
      cells: cells.map((c, i) => ({
        cell_type: c.cell_type,
        id: c.id ?? `cell-${i}`,
        metadata: c.tags ? { tags: c.tags } : {},
        source: c.source,
        ...(c.cell_type === "code" ? { outputs: [], execution_count: null } : {}),
      })),
    },
    null,
    1,
  );
}

const code = (source: string, id?: string, tags?: string[]): Cell => ({ cell_type: "code", source, id, tags });
const md = (source: string): Cell => ({ cell_type: "markdown", source });
const raw = (source: string): Cell => ({ cell_type: "raw", source });

/** What a corpus notebook should give: pass, skip, or fail at a code cell (null: before any cell). */
export interface Expectation {
  verdict: "success" | "failure" | "skipped" | "excluded";
  cell?: number | null;
  failureClass?: string;
}

/** The corpus: path → content and expectation. */
export const CORPUS: Record<string, { text: string; expect: Expectation }> = {
  "pass.ipynb": {
    text: notebook([md("# A passing notebook\nwith *markdown*"), raw("raw text, never run: 1/0"), code("x = 6 * 7\nprint(x)"), code("x")]),
    expect: { verdict: "success" },
  },
  "fail-second.ipynb": {
    text: notebook([code("a = 1", "first-ok"), md("then it breaks"), code("print('about to fail')\nb = a / 0", "boom"), code("print('never')", "after")]),
    expect: { verdict: "failure", cell: 2, failureClass: "code_error" },
  },
  "excluded/never.ipynb": { text: notebook([code("raise RuntimeError('excluded notebooks never run')")]), expect: { verdict: "excluded" } },
  ".hidden/secret.ipynb": { text: notebook([code("raise RuntimeError('hidden folders never run')")]), expect: { verdict: "excluded" } },
  "needs-tap.ipynb": {
    text: notebook([code("print('tap!')")], { mobu: { required_applications: ["tap"] } }),
    expect: { verdict: "skipped" },
  },
  "old-services.ipynb": {
    text: notebook([code("print('nublado is here')")], { mobu: { required_services: ["nublado"] } }),
    expect: { verdict: "success" },
  },
  "slow.ipynb": { text: notebook([code("print('start')"), code("import time\ntime.sleep(120)", "sleepy")]), expect: { verdict: "failure", cell: 2, failureClass: "timeout" } },
  "dies.ipynb": { text: notebook([code("print('bye')"), code("import os\nos._exit(1)", "exit")]), expect: { verdict: "failure", cell: 2, failureClass: "dead_kernel" } },
  "broken.ipynb": { text: '{"nbformat": 4, "cells": [', expect: { verdict: "failure", cell: null, failureClass: "invalid_notebook" } },
  "unicode-big.ipynb": {
    text: notebook([code("print('héllo wörld ✓ 日本語 🚀')"), code("print('x' * 1_200_000)"), code("'ünïcode result'")]),
    expect: { verdict: "success" },
  },
  "magics.ipynb": {
    text: notebook([code("%time y = sum(range(10))"), code("!echo shell-says-hi"), code("%%capture\nprint('captured')"), code("assert y == 45")]),
    expect: { verdict: "success" },
  },
  "tags.ipynb": {
    text: notebook([code("1/0", "skipped", ["skip-execution"]), code("raise ValueError('allowed')", "allowed", ["raises-exception"]), code("print('still running')")]),
    expect: { verdict: "success" },
  },
  "nested/deeper/inner.ipynb": { text: notebook([code("import sys\nprint(sys.version)")]), expect: { verdict: "success" } },
};

/** The repository's mobu.yaml: one collection rule and the deprecated exclude_dirs. */
export const MOBU_YAML = 'collection_rules:\n  - type: exclude_union_of\n    patterns: ["excluded/**"]\nexclude_dirs: ["nowhere"]\n';

/** A Git repository on disk: commit to `work`, others clone `url`. */
export interface TestRepo {
  /** `file://` URL of the bare repository. */
  url: string;
  work: string;
  /** Write files (path → text; null deletes) and commit; returns the new commit hash. */
  commit(files: Record<string, string | null>, message?: string): string;
  head(): string;
}

/** Create a bare repository with `files` committed on branch `main`. */
export function createTestRepo(files: Record<string, string>): TestRepo {
  const root = mkdtempSync(join(tmpdir(), "troop-nbrepo-"));
  const bare = join(root, "origin.git");
  const work = join(root, "work");
  const git = (args: string[], cwd = work) => execFileSync("git", ["-c", "user.name=Troop Test", "-c", "user.email=test@troop.invalid", ...args], { cwd, encoding: "utf8" }).trim();
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", bare]);
  mkdirSync(work);
  git(["init", "-q", "-b", "main"]);
  git(["remote", "add", "origin", bare]);
  const repo: TestRepo = {
    url: `file://${bare}`,
    work,
    head: () => git(["rev-parse", "HEAD"]),
    commit(changes, message = "update") {
      for (const [path, text] of Object.entries(changes)) {
        if (text === null) git(["rm", "-q", path]);
        else {
          mkdirSync(dirname(join(work, path)), { recursive: true });
          writeFileSync(join(work, path), text);
          git(["add", path]);
        }
      }
      git(["commit", "-q", "-m", message]);
      git(["push", "-q", "origin", "main"]);
      return repo.head();
    },
  };
  repo.commit(files, "corpus");
  return repo;
}

/** The corpus repository (every notebook plus mobu.yaml). */
export function createCorpusRepo(): TestRepo {
  return createTestRepo({ ...Object.fromEntries(Object.entries(CORPUS).map(([p, n]) => [p, n.text])), "mobu.yaml": MOBU_YAML });
}
