/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof` or bench/scale.mjs --profile): the
 * functions with the most self time, self time per file, and the total (inclusive) time of
 * the functions whose name matches --match.
 *
 *   node bench/cpuprofile-top.mjs PROFILE [--top 25] [--match 'scrub|onMessage|phase']
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" }, match: { type: "string" } } });
if (positionals.length !== 1) {
  console.error("usage: node bench/cpuprofile-top.mjs PROFILE [--top N] [--match REGEX]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// self time per node from samples and time deltas
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const short = (url) => url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "nm:").replace(/^.*\/dist\//, "dist/");
const label = (cf) => `${cf.functionName || "(anonymous)"} ${cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : ""}`.trim();

const byFn = new Map();
const byFile = new Map();
for (const [id, us] of self) {
  const cf = nodes.get(id).callFrame;
  byFn.set(label(cf), (byFn.get(label(cf)) ?? 0) + us);
  const file = cf.url ? short(cf.url).replace(/^nm:([^/]+(?:\/[^/]+)?)\/.*$/, "nm:$1") : `(${cf.functionName || "native"})`;
  byFile.set(file, (byFile.get(file) ?? 0) + us);
}
const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const top = Number(values.top);
console.log(`profile: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by function:`);
for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
console.log("\nself time by file / package:");
for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);

if (values.match) {
  // inclusive time: samples whose stack contains a matching frame (counted once per sample)
  const re = new RegExp(values.match);
  const incl = new Map();
  for (const [id, us] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(nodes.get(cur).callFrame);
      if (re.test(l) && !seen.has(l)) {
        seen.add(l);
        incl.set(l, (incl.get(l) ?? 0) + us);
      }
    }
  }
  console.log(`\ninclusive time of functions matching /${values.match}/:`);
  for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
}
