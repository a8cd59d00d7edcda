/**
 * Summarise a sampling heap profile (bench/scale.mjs --heap-profile, objects collected by the GC
 * included): the functions that allocated the most bytes (self), and the allocation call
 * stacks above a share, to see where the garbage collector's work comes from.
 *
 *   node bench/heapprofile-top.mjs PROFILE [--top 30] [--stacks 1.5]
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "30" }, stacks: { type: "string", default: "2" } } });
if (positionals.length !== 1) {
  console.error("usage: node bench/heapprofile-top.mjs PROFILE [--top N] [--stacks PERCENT]");
  process.exit(2);
}
const { head } = JSON.parse(readFileSync(positionals[0], "utf8"));
const short = (url) => url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "nm:").replace(/^.*\/dist\//, "dist/");
const label = (cf) => `${cf.functionName || "(anonymous)"} ${cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : ""}`.trim();
const selfSize = (n) => (n.selfSize ?? 0);
let total = 0;
const byFn = new Map();
const stacks = [];
const walk = (n, path) => {
  const here = [...path, label(n.callFrame)];
  total += selfSize(n);
  if (selfSize(n)) {
    byFn.set(here.at(-1), (byFn.get(here.at(-1)) ?? 0) + selfSize(n));
    stacks.push([here, selfSize(n)]);
  }
  for (const c of n.children ?? []) walk(c, here);
};
walk(head, []);
const pct = (b) => `${((100 * b) / total).toFixed(1).padStart(5)} %`;
console.log(`sampled allocations: ${(total / 2 ** 20).toFixed(0)} MB\n\nbytes allocated by function (self):`);
for (const [k, b] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${pct(b)}  ${k}`);
const agg = new Map();
for (const [path, b] of stacks) {
  const key = path.slice(-6).reverse().join(" <- ");
  agg.set(key, (agg.get(key) ?? 0) + b);
}
console.log(`\nallocation stacks ≥ ${values.stacks} % (innermost first, 6 frames):`);
for (const [k, b] of [...agg].sort((a, b) => b[1] - a[1])) if ((100 * b) / total >= Number(values.stacks)) console.log(`${pct(b)}  ${k}`);
