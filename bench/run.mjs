/**
 * Runs every benchmark in BENCHMARKS several times and writes docs/performance.md: the machine,
 * the date, the command and one table per benchmark (every figure the median of the runs).
 *
 *   npm run bench                      # builds (prebench), then this
 *   node bench/run.mjs --runs 1        # quicker, fewer runs
 *   node bench/run.mjs --only empty-loop-capacity --out /tmp/perf.md
 *   node bench/run.mjs --only notebook-throughput --merge   # re-measure one section, keep the others
 *   node bench/run.mjs --only scale --from-json /tmp/scale.json --merge
 *                                      # render saved runs (`node bench/scale.mjs … --json FILE`) instead of measuring
 *
 * A benchmark is a module in bench/ exporting `name`, `title`, `description`,
 * `measure({ log })` (one run, returns plain data) and `report(runs)` (markdown for the list of
 * runs), and optionally `targets(runs)` (rows of the page's "Targets" section: issue 9's goals
 * against the figures). Add new ones to BENCHMARKS.
 *
 * The runs of each benchmark measured for docs/performance.md are saved in bench/results/<name>.json,
 * so that the "Targets" section of a merged page is computed from the runs behind every section,
 * whichever invocation measured them.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machineDescription, measuredLine, mergeSections, targetsSection } from "./lib.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const COMMAND = "npm run bench";
const RESULTS = join(ROOT, "bench", "results");

/** Every benchmark, in order, with how many runs its medians are taken over. */
const BENCHMARKS = [{ module: "./empty-loop-capacity.mjs", runs: 3 }, { module: "./history.mjs", runs: 3 }, { module: "./votable-parse.mjs", runs: 3 }, { module: "./kernel-overhead.mjs", runs: 3 }, { module: "./scale.mjs", runs: 3 }, { module: "./notebook-throughput.mjs", runs: 3 }];

const { values: args } = parseArgs({
  options: {
    runs: { type: "string" },
    only: { type: "string" },
    out: { type: "string", default: join(ROOT, "docs", "performance.md") },
    // keep the sections of the existing --out page that this invocation does not measure
    merge: { type: "boolean", default: false },
    // with --only: the runs saved by a script's --json (one run or an array), rendered instead of measured
    "from-json": { type: "string", multiple: true },
  },
});

if (!existsSync(join(ROOT, "dist", "container.js"))) {
  console.error("dist/ is missing: build first (npx tsc -p tsconfig.build.json), or use npm run bench");
  process.exit(1);
}

const log = (msg) => console.error(msg);
/** The command recorded with each run measured here: what a reader types to measure it again. */
const invocation = args.only ? `node bench/run.mjs ${process.argv.slice(2).join(" ")}` : COMMAND;
/** Runs are saved for later merges only when they describe the real page (not a trial --out). */
const saving = args.out === join(ROOT, "docs", "performance.md") && !args["from-json"];
const sections = [];
/** Runs behind every benchmark of the page: measured now, else those saved with the page. */
const runsByName = new Map();
const started = performance.now();
for (const entry of BENCHMARKS) {
  const bench = await import(entry.module);
  if (args.only && bench.name !== args.only) continue;
  if (args["from-json"] && !args.only) throw new Error("--from-json needs --only");
  const saved = (args["from-json"] ?? []).flatMap((f) => [JSON.parse(readFileSync(f, "utf8"))].flat());
  const runs = saved.length || (args.runs ? Number(args.runs) : entry.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);
  const results = [...saved];
  for (let r = 1; r <= runs && saved.length === 0; r++) {
    log(`${bench.name}: run ${r}/${runs}`);
    const t = performance.now();
    const result = await bench.measure({ log });
    result.at ??= new Date().toISOString();
    result.command ??= invocation;
    results.push(result);
    log(`${bench.name}: run ${r}/${runs} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  if (saving) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `${bench.name}.json`), `${JSON.stringify(results)}\n`);
  }
  runsByName.set(bench.name, results);
  const body = bench.report(results);
  const when = body.includes("Measured ") ? "" : `${measuredLine(bench.name, results)}\n\n`;
  sections.push(`## ${bench.title}\n\n\`bench/${entry.module.replace(/^\.\//, "")}\` — ${runs} run${runs > 1 ? "s" : ""}.\n\n${bench.description}\n\n${when}${body}\n`);
}
if (sections.length === 0) {
  console.error(`no benchmark named ${args.only}`);
  process.exit(1);
}

// Targets from every benchmark that has them: its runs measured now, or saved with the page.
const targetRows = [];
for (const entry of BENCHMARKS) {
  const bench = await import(entry.module);
  if (typeof bench.targets !== "function") continue;
  const saved = join(RESULTS, `${bench.name}.json`);
  const runs = runsByName.get(bench.name) ?? (existsSync(saved) ? JSON.parse(readFileSync(saved, "utf8")) : null);
  if (runs?.length) targetRows.push(...bench.targets(runs));
}
if (targetRows.length) sections.unshift(targetsSection(targetRows));

const machine = machineDescription();
let doc = `# Performance

Generated by \`bench/run.mjs\`; do not edit by hand — run it again.

- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}
- Command: \`${COMMAND}\` (builds with \`tsc -p tsconfig.build.json\`, then runs \`node bench/run.mjs\`)
- Total time: ${args["from-json"] ? "— (rendered from saved runs, see the section's own date and command)" : `${((performance.now() - started) / 1000 / 60).toFixed(1)} min`}

## Machine

${machine.join("\n")}

${sections.join("\n")}
`;
if (args.merge && existsSync(args.out)) {
  const titles = (await Promise.all(BENCHMARKS.map(async (e) => (await import(e.module)).title))).filter(Boolean);
  doc = mergeSections(readFileSync(args.out, "utf8"), doc, ["Targets", ...titles], invocation);
}

mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, doc);
log(`wrote ${relative(process.cwd(), args.out) || args.out}`);
