/**
 * What a pull-request check runs: the notebooks the pull request adds or changes (every
 * selected notebook when `mobu.yaml` changed), intersected with the selection of the checkout
 * at the head commit; changed notebooks that the selection leaves out are listed as skipped
 * with the reason. Notebooks committed with outputs are noted (a warning annotation each).
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_CONFIG_FILE, selectNotebooks } from "../../businesses/notebook-runner/selection.js";
import type { ChangedFile } from "../../clients/github.js";
import { cleanNotebook, parseNotebook } from "../../notebooks/clean.js";

/** A notebook the check does not run, and why. */
export interface SkippedNotebook {
  path: string;
  reason: string;
}

export interface CheckPlan {
  /** Notebooks to run, sorted. */
  run: string[];
  skipped: SkippedNotebook[];
  /** Notebooks (run or skipped) with outputs or execution counts committed. */
  withOutputs: string[];
  /** True when `mobu.yaml` changed (every selected notebook runs). */
  configChanged: boolean;
}

/** Plan a check of the checkout in `dir`. Throws RepoConfigError for an unusable `mobu.yaml`. */
export async function planCheck(dir: string, changed: readonly ChangedFile[]): Promise<CheckPlan> {
  const present = changed.filter((f) => f.status !== "removed");
  const configChanged = changed.some((f) => f.filename === REPO_CONFIG_FILE || f.previous_filename === REPO_CONFIG_FILE);
  const selection = await selectNotebooks(dir, { collection_rules: [], exclude_dirs: [] });
  const selected = new Set(selection);
  const candidates = configChanged ? selection : [...new Set(present.map((f) => f.filename).filter((p) => p.endsWith(".ipynb")))].sort();
  const run: string[] = [];
  const skipped: SkippedNotebook[] = [];
  for (const path of candidates) {
    if (selected.has(path)) run.push(path);
    else skipped.push({ path, reason: path.split("/").slice(0, -1).some((d) => d.startsWith(".")) ? "in a hidden folder" : `excluded by ${REPO_CONFIG_FILE}` });
  }
  const withOutputs: string[] = [];
  for (const path of candidates) if (await hasOutputs(join(dir, path))) withOutputs.push(path);
  return { run, skipped, withOutputs, configChanged };
}

/** True when a notebook file has outputs or execution counts (unreadable files: false). */
async function hasOutputs(file: string): Promise<boolean> {
  try {
    const { findings } = cleanNotebook(parseNotebook(await readFile(file, "utf8")));
    return findings.outputs > 0 || findings.executionCounts > 0;
  } catch {
    return false;
  }
}
