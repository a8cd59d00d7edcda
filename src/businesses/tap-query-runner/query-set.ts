/**
 * Query sets as operators supply them: a folder `<dir>/<name>/` holding query templates
 * (`*.sql` or `*.adql`, Jinja syntax rendered with nunjucks; unknown variables are errors) and
 * an optional `params.yaml` (see `params.ts`). SIA sets hold only `params.yaml`. Loading
 * checks everything — YAML, parameters, template syntax, and a trial render of each template —
 * and reports every problem located (file, line, column) as a {@link QuerySetError}. Loaded
 * sets are cached until a file of the folder changes. (Self-contained: the config loader
 * imports the business registry, so this module must not import the loader.)
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import nunjucks from "nunjucks";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import { DEFAULT_PARAMS, drawVariables, paramsFileSchema, type QueryParams } from "./params.js";

/** A loaded TAP query set. */
export interface TapQuerySet {
  name: string;
  dir: string;
  params: QueryParams;
  templates: { name: string; template: nunjucks.Template; source: string }[];
}

/** A loaded SIA query set (parameters only). */
export interface SiaQuerySet {
  name: string;
  dir: string;
  params: QueryParams;
}

/** One located problem of a query set (the shape of the config loader's problems). */
export interface QuerySetProblem {
  file: string;
  line: number | null;
  column: number | null;
  /** Key path in params.yaml, or `(template)` / `(query set)`. */
  path: string;
  message: string;
}

/** A query set cannot be used; `problems` says why, each located. */
export class QuerySetError extends Error {
  override readonly name = "QuerySetError";
  constructor(readonly problems: QuerySetProblem[]) {
    super(problems.map(formatQuerySetProblem).join("\n"));
  }
}

/** `file:line:col: path: message`, as config problems are printed. */
export function formatQuerySetProblem(p: QuerySetProblem): string {
  return `${p.line ? `${p.file}:${p.line}:${p.column}` : p.file}: ${p.path}: ${p.message}`;
}

const TEMPLATE_RE = /\.(sql|adql)$/i;
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const env = new nunjucks.Environment(null, { throwOnUndefined: true, autoescape: false });
const cache = new Map<string, { signature: string; set: TapQuerySet | SiaQuerySet }>();

function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

function problem(file: string, message: string, line: number | null = null, column: number | null = null, path = "(query set)"): QuerySetProblem {
  return { file: display(file), line, column, path, message };
}

/** The folder of set `name` under `root`, or a located error. */
function setDir(root: string, name: string, kind: string): string {
  if (!NAME_RE.test(name)) throw new QuerySetError([problem(root, `query set name ${JSON.stringify(name)} is not a plain folder name`)]);
  const dir = join(root, name);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const available = existsSync(root) ? readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];
    throw new QuerySetError([problem(root, `no ${kind} query set "${name}" in ${display(root)} (available: ${available.join(", ") || "none"})`)]);
  }
  return dir;
}

/** mtime and size of every entry: a set is reloaded when this changes. */
function signature(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((f) => {
      const s = statSync(join(dir, f));
      return `${f}:${s.mtimeMs}:${s.size}`;
    })
    .join("|");
}

/** Line and column of the deepest node along `path` in a YAML document. */
function locate(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): { line: number | null; column: number | null } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: null, column: null };
}

/** Read and check `params.yaml` (integers exact, as bigint, for object ids). */
function loadParams(dir: string): QueryParams {
  const file = join(dir, "params.yaml");
  if (!existsSync(file)) return DEFAULT_PARAMS;
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, "utf8"), { intAsBigInt: true, lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    throw new QuerySetError(doc.errors.map((e) => ({ ...problem(file, e.message.split("\n")[0] ?? e.message, null, null, "(syntax)"), ...pick(lines.linePos(e.pos[0])) })));
  }
  const parsed = paramsFileSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const problems: QuerySetProblem[] = [];
  for (const issue of parsed.error.issues) {
    const keys = issue.code === "unrecognized_keys" ? issue.keys.map((k) => ({ path: [...issue.path, k], message: `unknown key "${k}"` })) : [{ path: issue.path, message: issue.message }];
    for (const k of keys) problems.push({ ...problem(file, k.message, null, null, k.path.map(String).join(".") || "(document)"), ...locate(doc, lines, k.path) });
  }
  throw new QuerySetError(problems);
}

function pick(pos: { line: number; col: number }): { line: number; column: number } {
  return { line: pos.line, column: pos.col };
}

/** `(path) [Line 3, Column 5]\n  message` → located problem (nunjucks lines are 1-based here). */
function templateProblem(file: string, source: string, err: unknown): QuerySetProblem {
  const text = err instanceof Error ? err.message : String(err);
  const m = /\[Line (\d+), Column (\d+)\]/.exec(text);
  const line = m ? Number(m[1]) : null;
  const column = m ? Number(m[2]) : null;
  let message = (text.split("\n").pop() ?? text).trim().replace(/^Error: /, "");
  if (message.includes("attempted to output null or undefined value")) message = "unknown variable (or a value that is null)";
  if (line !== null) message += ` in: ${(source.split("\n")[line - 1] ?? "").trim().slice(0, 200)}`;
  return problem(file, message, line, column, "(template)");
}

/** A deterministic source for trial renders. */
function trialRandom(): () => number {
  let x = 0.5;
  return () => (x = (x * 9301 + 0.49297) % 1);
}

/** Load (or take from the cache) TAP query set `name` from `root`. Throws ConfigError. */
export function loadTapQuerySet(root: string, name: string): TapQuerySet {
  const dir = setDir(root, name, "TAP");
  const sig = signature(dir);
  const hit = cache.get(dir);
  if (hit && hit.signature === sig && "templates" in hit.set) return hit.set;
  const problems: QuerySetProblem[] = [];
  let params = DEFAULT_PARAMS;
  try {
    params = loadParams(dir);
  } catch (err) {
    if (!(err instanceof QuerySetError)) throw err;
    problems.push(...err.problems);
  }
  const files = readdirSync(dir).filter((f) => TEMPLATE_RE.test(f)).sort();
  if (files.length === 0) problems.push(problem(dir, "no query templates (*.sql or *.adql) in the set"));
  const templates: TapQuerySet["templates"] = [];
  const variables = drawVariables(params, trialRandom(), "bot-check");
  for (const f of files) {
    const file = join(dir, f);
    const source = readFileSync(file, "utf8");
    try {
      const template = new nunjucks.Template(source, env, display(file), true);
      if (!template.render(variables).trim()) throw new Error("the template renders to an empty query");
      templates.push({ name: f.replace(TEMPLATE_RE, ""), template, source });
    } catch (err) {
      problems.push(templateProblem(file, source, err));
    }
  }
  if (problems.length) throw new QuerySetError(problems);
  const set: TapQuerySet = { name, dir, params, templates };
  cache.set(dir, { signature: sig, set });
  return set;
}

/** Load (or take from the cache) SIA query set `name` from `root`. Throws ConfigError. */
export function loadSiaQuerySet(root: string, name: string): SiaQuerySet {
  const dir = setDir(root, name, "SIA");
  const sig = signature(dir);
  const hit = cache.get(dir);
  if (hit && hit.signature === sig && !("templates" in hit.set)) return hit.set;
  if (!existsSync(join(dir, "params.yaml"))) throw new QuerySetError([problem(dir, "an SIA query set needs a params.yaml")]);
  const params = loadParams(dir);
  if ((params.start_time === undefined) !== (params.end_time === undefined)) {
    throw new QuerySetError([problem(join(dir, "params.yaml"), "give both start_time and end_time, or neither")]);
  }
  if (params.start_time !== undefined && params.end_time !== undefined && params.end_time < params.start_time) {
    throw new QuerySetError([problem(join(dir, "params.yaml"), "end_time is before start_time")]);
  }
  const set: SiaQuerySet = { name, dir, params };
  cache.set(dir, { signature: sig, set });
  return set;
}

/** Render one query: a random template of the set with freshly drawn variables. */
export function renderQuery(set: TapQuerySet, random: () => number, username: string): { name: string; query: string } {
  const t = set.templates[Math.min(set.templates.length - 1, Math.floor(random() * set.templates.length))]!;
  return { name: t.name, query: t.template.render(drawVariables(set.params, random, username)).trim() };
}
