/**
 * A parser of the Prometheus text exposition format (0.0.4) for tests: samples with their
 * labels, and the TYPE of each metric family. Strict: a line it cannot read throws.
 * @module
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  /** Sum of the samples named `name` whose labels include `match`. */
  sum(name: string, match?: Record<string, string>): number;
  /** The samples named `name` whose labels include `match`. */
  find(name: string, match?: Record<string, string>): Sample[];
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y;

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = LABEL.exec(text)) !== null) {
    out[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    end = LABEL.lastIndex;
  }
  if (end !== text.length) throw new Error(`unreadable labels: {${text}}`);
  return out;
}

function parseValue(v: string): number {
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (v.toLowerCase() === "nan") return NaN; // prom-client writes "Nan"; Prometheus (Go's ParseFloat) reads any case
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`unreadable value ${v}`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      continue;
    }
    const m = LINE.exec(line);
    if (!m) throw new Error(`unreadable line: ${line}`);
    samples.push({ name: m[1]!, labels: m[3] ? parseLabels(m[3]) : {}, value: parseValue(m[4]!) });
  }
  const find = (name: string, match: Record<string, string> = {}) => samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return { samples, types, find, sum: (name, match) => find(name, match).reduce((a, s) => a + s.value, 0) };
}
