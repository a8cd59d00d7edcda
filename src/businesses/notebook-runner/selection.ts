/**
 * Which notebooks of a checkout run: every `*.ipynb` at any depth outside hidden folders,
 * narrowed by `collection_rules` (the flock's, then those of the repository's `mobu.yaml`,
 * applied in order; rules only remove) and by the deprecated `exclude_dirs`; and which of a
 * notebook's required applications the deployment lacks (such a notebook is skipped).
 * @module
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { globToRegExp, matchesAny } from "./glob.js";
import { collectionRuleSchema, type CollectionRule } from "./options.js";

/** Name of the in-repository config file. */
export const REPO_CONFIG_FILE = "mobu.yaml";

/** Schema of `mobu.yaml` (unknown keys are errors, as in mobu). */
export const repoConfigSchema = z.strictObject({
  collection_rules: z.array(collectionRuleSchema).default([]),
  exclude_dirs: z.array(z.string()).default([]).meta({ description: "Deprecated: becomes exclude_union_of <dir>/**" }),
});
export type RepoConfig = z.output<typeof repoConfigSchema>;

/** `mobu.yaml` is unusable; the message names the file, the place and the problem. */
export class RepoConfigError extends Error {
  override readonly name = "RepoConfigError";
}

/** Read and validate `mobu.yaml` at the root of `dir` (defaults when there is none). */
export async function readRepoConfig(dir: string): Promise<RepoConfig> {
  let text: string;
  try {
    text = await readFile(join(dir, REPO_CONFIG_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { collection_rules: [], exclude_dirs: [] };
    throw new RepoConfigError(`${REPO_CONFIG_FILE}: cannot read: ${(err as Error).message}`);
  }
  return parseRepoConfig(text);
}

/** Validate the text of a `mobu.yaml`; throws {@link RepoConfigError} listing every problem. */
export function parseRepoConfig(text: string): RepoConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return REPO_CONFIG_FILE;
    const p = lines.linePos(offset);
    return `${REPO_CONFIG_FILE}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) {
    throw new RepoConfigError(doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split("\n")[0]}`).join("; "));
  }
  const parsed = repoConfigSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const unknown = issue.code === "unrecognized_keys" ? (issue.keys[0] ?? "") : null;
    const path = unknown === null ? issue.path : [...issue.path, unknown];
    const parent = unknown === null ? null : doc.getIn(issue.path as (string | number)[], true);
    const keyNode = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === unknown)?.key : undefined;
    const node = (keyNode ?? doc.getIn(path as (string | number)[], true)) as { range?: [number, number, number] } | undefined;
    const name = path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "(document)";
    const message = issue.code === "unrecognized_keys" ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}` : issue.message;
    return `${at(node?.range?.[0])}: ${name}: ${message}`;
  });
  throw new RepoConfigError(problems.join("; "));
}

/** Every `*.ipynb` below `dir` (POSIX paths relative to it, sorted), hidden folders skipped. */
export async function listNotebooks(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path);
      else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith(".ipynb")) found.push(path);
    }
  };
  await walk("");
  return found.sort();
}

/** The rules in force: the flock's, then the repository's; each `exclude_dirs` entry as `exclude_union_of <dir>/**`. */
export function effectiveRules(flock: { collection_rules: readonly CollectionRule[]; exclude_dirs: readonly string[] }, repo: RepoConfig): CollectionRule[] {
  const dirs = [...flock.exclude_dirs, ...repo.exclude_dirs].map((d) => `${d.replace(/\/+$/, "")}/**`);
  return [...flock.collection_rules, ...repo.collection_rules, ...(dirs.length ? [{ type: "exclude_union_of" as const, patterns: dirs }] : [])];
}

/** Apply rules in order: intersect keeps what a pattern matches, exclude drops it. */
export function applyRules(paths: readonly string[], rules: readonly CollectionRule[]): string[] {
  let current = [...paths];
  for (const rule of rules) {
    const patterns = rule.patterns.map(globToRegExp);
    current = current.filter((p) => matchesAny(p, patterns) === (rule.type === "intersect_union_of"));
  }
  return current;
}

/**
 * The applications of `required` that the deployment lacks. `available` is read now (a
 * function is called), so a refreshed discovery document counts from the next notebook on.
 */
export function missingApplications(required: readonly string[], available: readonly string[] | (() => readonly string[])): string[] {
  const have = new Set(typeof available === "function" ? available() : available);
  return required.filter((a) => !have.has(a));
}

/** The notebooks of a checkout that run, sorted. Throws {@link RepoConfigError}. */
export async function selectNotebooks(dir: string, flock: { collection_rules: readonly CollectionRule[]; exclude_dirs: readonly string[] }): Promise<string[]> {
  const repo = await readRepoConfig(dir);
  return applyRules(await listNotebooks(dir), effectiveRules(flock, repo));
}
