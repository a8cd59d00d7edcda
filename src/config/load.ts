/**
 * Loading the service config: read the YAML file once, apply environment overrides, validate,
 * and deep-freeze. Every problem is reported with the file, line, column, the path in the
 * document and what was expected — all problems at once, never a stack trace.
 * @module
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isMap, isNode, isPair, isScalar, type Document, type Node } from "yaml";
import type { z } from "zod";
import { lookupBusiness } from "../businesses/registry.js";
import { flockConfigSchema } from "../models/flock.js";
import { dataServicesFromConfig } from "./data-services.js";
import { flattenIssues, formatPath } from "./issues.js";
import { ENV_OVERRIDES, serviceConfigSchema, type ServiceConfig } from "./schema.js";

/** One located problem in a config file. */
export interface ConfigProblem {
  file: string;
  line: number | null;
  column: number | null;
  path: string;
  message: string;
}

/** The config could not be used; `problems` says why, each located. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
  }
}

export interface LoadedConfig {
  config: Readonly<ServiceConfig>;
  /** Not errors (e.g. an old business name, a query-set warning): `validate` prints them, `serve` logs them. */
  warnings: ConfigProblem[];
}

/** `file:line:col: path: message`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column}` : p.file;
  return `${where}: ${p.path}: ${p.message}`;
}

/** Read, override from `env`, validate and freeze a config file. Throws ConfigError. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ file, line: null, column: null, path: "(file)", message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  return loadConfigText(text, file, env);
}

/** A YAML document parsed with positions: its value and a way to locate any path in it. */
export interface LocatedDocument {
  value: unknown;
  locate(path: PropertyKey[]): { file: string; line: number | null; column: number | null };
}

/** Parse YAML text, reporting syntax errors as located problems. */
export function parseYaml(text: string, file: string): LocatedDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: "(syntax)", message: e.message.split("\n")[0] ?? e.message };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (err) {
    // e.g. an alias before its anchor (`*a`), or too many aliases: not a syntax error for the parser
    throw new ConfigError([{ file, line: 1, column: 1, path: "(syntax)", message: (err as Error).message.split("\n")[0] ?? "invalid YAML" }]);
  }
  return { value, locate: (path) => ({ file, ...locateNode(doc, lines, path) }) };
}

/** Validate a located document against a schema; throws ConfigError with every problem. */
export function validateDocument<S extends z.ZodType>(doc: LocatedDocument, schema: S, envPaths = new Map<string, string>()): z.output<S> {
  const parsed = schema.safeParse(doc.value);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    flattenIssues(parsed.error.issues).map((i) => {
      const envName = envPaths.get(formatPath(i.path));
      const where = envName ? { file: `environment ${envName}`, line: null, column: null } : doc.locate(i.path);
      return { ...where, path: formatPath(i.path), message: i.message };
    }),
  );
}

/** As {@link loadConfigFile}, from text (`file` names it in messages). */
export function loadConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const doc = parseYaml(text, file);
  if (typeof doc.value !== "object" || doc.value === null || Array.isArray(doc.value)) {
    throw new ConfigError([{ file, line: 1, column: 1, path: "(document)", message: "expected a mapping of settings" }]);
  }
  const fromEnv = applyEnv(doc.value as Record<string, unknown>, env);
  const config = validateDocument(doc, serviceConfigSchema, fromEnv);
  const warnings: ConfigProblem[] = [];
  const checkErrors: ConfigProblem[] = [];
  config.autostart.forEach((raw, i) => {
    const flock = flockConfigSchema.parse(raw);
    const def = lookupBusiness(flock.business.type);
    const path = ["autostart", i, "business", "type"];
    const at = { ...doc.locate(path), path: formatPath(path) };
    if (def && def.type !== flock.business.type) warnings.push({ ...at, message: `${flock.business.type} is an old name; use ${def.type}` });
    for (const p of def?.check?.(flock.business.options, { dataServices: dataServicesFromConfig(config), final: false }) ?? []) {
      const where = ["autostart", i, "business", "options", ...p.path];
      (p.severity === "error" ? checkErrors : warnings).push({ ...doc.locate(where), path: formatPath(where), message: p.message });
    }
  });
  if (checkErrors.length) throw new ConfigError(checkErrors);
  return { config: deepFreeze(config), warnings };
}

/** Apply TROOP_* overrides in place; returns which paths came from which variable. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const from = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const value = env[o.env];
    if (value === undefined || value === "") continue;
    let target = raw;
    for (const key of o.path.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== "object" || next === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    const n = Number(value);
    target[o.path.at(-1)!] = o.kind === "number" && value.trim() !== "" && Number.isFinite(n) ? n : value;
    from.set(formatPath(o.path), o.env);
  }
  return from;
}

/** Line and column of the deepest node that exists along `path` (the key itself for map keys). */
function locateNode(doc: Document, lines: LineCounter, path: PropertyKey[]): { line: number | null; column: number | null } {
  let node: unknown = doc.contents;
  let best: Node | null = isNode(node) ? node : null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      best = (isNode(pair.key) ? pair.key : best) as Node | null;
      node = pair.value;
      if (isNode(node) && !isScalar(node)) continue;
      if (isNode(node)) best = node;
      continue;
    }
    const child = isNode(node) && "items" in node ? (node as { items: unknown[] }).items[Number(key)] : undefined;
    if (!isNode(child)) break;
    node = child;
    best = child;
  }
  const offset = best?.range?.[0];
  if (offset === undefined) return { line: null, column: null };
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** Freeze an object graph (the config is injected everywhere and must never change). */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
