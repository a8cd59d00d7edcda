/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof` or bench/scale.mjs --profile): the
 * functions with the most self time, self time per file, and the total (inclusive) time of
 * the functions whose name matches --match.
 *
 *   node bench/cpuprofile-top.mjs PROFILE [--top 25] [--match 'scrub|onMessage|phase']
 *   node bench/cpuprofile-top.mjs PROFILE --from 90 --to 110     # only samples 90–110 s after the start
 *   node bench/cpuprofile-top.mjs PROFILE --timeline 10          # top frames of every 10 s, and idle %
 *   node bench/cpuprofile-top.mjs PROFILE --stretches 30         # + what the event loop did in busy stretches ≥ 30 ms
 *
 * A busy stretch is a run of consecutive non-idle samples: while it lasts, the event loop does
 * not answer anything new (an API call waits), so long stretches are what the p99 latencies see.
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" }, match: { type: "string" }, from: { type: "string" }, to: { type: "string" }, timeline: { type: "string" }, stretches: { type: "string" } } });
if (positionals.length !== 1) {
  console.error("usage: node bench/cpuprofile-top.mjs PROFILE [--top N] [--match REGEX] [--from S] [--to S] [--timeline S] [--stretches MS]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const short = (url) => url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "nm:").replace(/^.*\/dist\//, "dist/");
const label = (cf) => `${cf.functionName || "(anonymous)"} ${cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : ""}`.trim();
const isIdle = (id) => nodes.get(id).callFrame.functionName === "(idle)";

// samples with their time since the start (µs), restricted to --from/--to (seconds)
const from = values.from ? Number(values.from) * 1e6 : -Infinity;
const to = values.to ? Number(values.to) * 1e6 : Infinity;
const samples = [];
for (let i = 0, t = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t >= from && t <= to) samples.push({ id: profile.samples[i], t, us: profile.timeDeltas[i] ?? 0 });
}

// self time per node
const self = new Map();
for (const s of samples) self.set(s.id, (self.get(s.id) ?? 0) + s.us);
const total = [...self.values()].reduce((a, b) => a + b, 0);

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
console.log(`profile: ${(total / 1e6).toFixed(1)} s sampled${values.from || values.to ? ` (${values.from ?? 0}–${values.to ?? "end"} s)` : ""}\n\nself time by function:`);
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

if (values.timeline) {
  const width = Number(values.timeline) * 1e6;
  const buckets = new Map();
  for (const s of samples) {
    const b = Math.floor(s.t / width);
    if (!buckets.has(b)) buckets.set(b, new Map());
    const m = buckets.get(b);
    const l = label(nodes.get(s.id).callFrame);
    m.set(l, (m.get(l) ?? 0) + s.us);
  }
  console.log(`\ntimeline (${values.timeline} s buckets): idle %, then the top self-time frames`);
  for (const [b, m] of [...buckets].sort((x, y) => x[0] - y[0])) {
    const sum = [...m.values()].reduce((a, c) => a + c, 0);
    const idle = [...m].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0);
    const topFrames = [...m].filter(([k]) => !k.startsWith("(idle)")).sort((x, y) => y[1] - x[1]).slice(0, 4);
    console.log(`${String(b * Number(values.timeline)).padStart(5)} s  idle ${((idle / sum) * 100).toFixed(0).padStart(3)} %  ${topFrames.map(([k, v]) => `${k} ${((v / sum) * 100).toFixed(0)} %`).join(" | ")}`);
  }
}

if (values.stretches) {
  const minUs = Number(values.stretches) * 1000;
  const runs = [];
  let cur = null;
  for (const s of samples) {
    if (isIdle(s.id)) {
      if (cur) runs.push(cur);
      cur = null;
      continue;
    }
    cur ??= { t: s.t, us: 0, ids: [] };
    cur.us += s.us;
    cur.ids.push(s);
  }
  if (cur) runs.push(cur);
  const long = runs.filter((r) => r.us >= minUs);
  const sum = long.reduce((a, r) => a + r.us, 0);
  console.log(`\nbusy stretches ≥ ${values.stretches} ms: ${long.length} of ${runs.length}, ${(sum / 1000).toFixed(0)} ms in all; longest: ${long.sort((a, b) => b.us - a.us).slice(0, 5).map((r) => `${(r.us / 1000).toFixed(0)} ms at ${(r.t / 1e6).toFixed(1)} s`).join(", ") || "—"}`);
  const selfIn = new Map();
  const inclIn = new Map();
  for (const r of long) {
    for (const s of r.ids) {
      const l = label(nodes.get(s.id).callFrame);
      selfIn.set(l, (selfIn.get(l) ?? 0) + s.us);
      const seen = new Set();
      for (let c = s.id; c !== undefined; c = parent.get(c)) {
        const x = label(nodes.get(c).callFrame);
        if (!seen.has(x) && /dist\/|nm:|scrub|legacy/.test(x)) {
          seen.add(x);
          inclIn.set(x, (inclIn.get(x) ?? 0) + s.us);
        }
      }
    }
  }
  const p = (us) => `${((us / sum) * 100).toFixed(1).padStart(5)} %`;
  console.log("self time in those stretches:");
  for (const [k, us] of [...selfIn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${p(us)}  ${k}`);
  console.log("inclusive time of Troop's and packages' functions in those stretches:");
  for (const [k, us] of [...inclIn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${p(us)}  ${k}`);
}
