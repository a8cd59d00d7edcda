/**
 * Notebook throughput (issues 3 and 9): a corpus of passing notebooks (a realistic mix of small
 * cells: markdown, imports, numpy, statistics, JSON and text, files, IPython magics and `!`
 * commands, skip-execution and raises-exception tags, a nested folder) run, in one run and
 * alternating, by
 *
 *   - Troop on the real JupyterHub (scripts/hub/start.sh): `runNotebooks` from
 *     dist/cli/run-notebooks.js, the function behind `troop run-notebooks DIR --hub URL`
 *     (hub login, one lab spawned, every notebook in its own session, lab deleted);
 *   - nbclient (Debian's python3-nbclient, bench/nbclient_throughput.py) running the same
 *     notebooks locally, each in a fresh local ipykernel (as `jupyter nbconvert --execute`);
 *   - the floor for Troop's per-cell overhead: the same code cells sent back to back by the
 *     minimal raw `ws` client (bench/lib.mjs) to a fresh kernel of a lab on the same hub.
 *
 * Troop's own overhead per cell = (Troop's cell time of a notebook − the raw client's time for
 * the same cells) / its code cells, where Troop's cell time is `metadata.troop.duration_ms` of
 * the executed notebook (first cell sent to last cell done, written with `--output-dir`).
 *
 *   node bench/notebook-throughput.mjs              # one run (ROUNDS rounds), prints the table
 *   node bench/notebook-throughput.mjs --rounds 1   # quicker
 *   node bench/notebook-throughput.mjs --json /tmp/nb.json   # also keep the raw figures
 *
 * Imports from ../dist/: build first (`npm run build`). `bench/run.mjs` runs this several times
 * and writes docs/performance.md.
 * @module
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs, promisify } from "node:util";
import { buildInfo, describeBuild } from "./build-info.mjs";
import { commandLine, fix, measuredLine, median, newKernel, openRawKernel, signed, spawnUser, startRealHub, table } from "./lib.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const NBCLIENT = join(HERE, "nbclient_throughput.py");
const PYTHON = "/usr/bin/python3";
const run = promisify(execFile);
const CELL_TIMEOUT_S = 120;
let ROUNDS = 3;

// ---------------------------------------------------------------- the corpus

const code = (source, tags) => ({ cell_type: "code", source, tags });
const md = (source) => ({ cell_type: "markdown", source });

/** nbformat 4.5 notebook text (outputs empty, as `troop notebooks clean` leaves them). */
function notebook(cells) {
  return `${JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
      cells: cells.map((c, i) => ({ cell_type: c.cell_type, id: `cell-${i}`, metadata: c.tags ? { tags: c.tags } : {}, source: c.source, ...(c.cell_type === "code" ? { outputs: [], execution_count: null } : {}) })),
    },
    null,
    1,
  )}\n`;
}

/** Passing notebooks only: every one must succeed in both runners. */
export const CORPUS = {
  "01-intro.ipynb": notebook([
    md("# Welcome\nA first notebook: the environment and a few numbers."),
    code("import sys, platform\nprint(platform.python_version())"),
    code("squares = [i * i for i in range(1000)]\nlen(squares)"),
    code("sum(squares)"),
    md("Strings and formatting"),
    code("name = 'Rubin'\nf'Hello, {name}! {len(name)} letters'"),
    code("for i in range(3):\n    print(i, i ** 2)"),
  ]),
  "data/statistics.ipynb": notebook([
    md("## Statistics from the standard library"),
    code("import random, statistics\nrandom.seed(1)\nsample = [random.gauss(20, 3) for _ in range(5000)]"),
    code("round(statistics.mean(sample), 3), round(statistics.stdev(sample), 3)"),
    code("quartiles = statistics.quantiles(sample, n=4)\n[round(q, 2) for q in quartiles]"),
    code("hist = {}\nfor x in sample:\n    hist[int(x)] = hist.get(int(x), 0) + 1\nsorted(hist.items())[:5]"),
    code("print('\\n'.join(f'{k:3d} {\"#\" * (v // 50)}' for k, v in sorted(hist.items())))"),
  ]),
  "data/numpy-basics.ipynb": notebook([
    md("## numpy"),
    code("import numpy as np\nrng = np.random.default_rng(42)"),
    code("a = rng.normal(size=(200, 200))\na.shape, a.dtype"),
    code("b = a @ a.T\nnp.allclose(b, b.T)"),
    code("w = np.linalg.eigvalsh(b)\nfloat(w.min()) > -1e-6"),
    code("x = np.linspace(0, 2 * np.pi, 1000)\nfloat(np.trapz(np.sin(x) ** 2, x))"),
    code("print(np.array2string(a[:3, :3], precision=3))"),
  ]),
  "text/json-and-strings.ipynb": notebook([
    code("import json, re\nrecord = {'ra': 150.1, 'dec': 2.2, 'name': 'NGC 3115', 'tags': ['galaxy', 'S0']}"),
    code("text = json.dumps(record, indent=1)\nprint(text)"),
    code("json.loads(text) == record"),
    md("Regular expressions"),
    code("re.findall(r'\\d+\\.\\d+', text)"),
    code("'héllo wörld ✓ 日本語'.upper()"),
    code("words = ('the quick brown fox jumps over the lazy dog ' * 50).split()\nfrom collections import Counter\nCounter(words).most_common(3)"),
  ]),
  "magics.ipynb": notebook([
    code("%time y = sum(range(10_000))"),
    code("!echo shell-says-hi"),
    code("%%capture\nprint('captured')"),
    code("assert y == 49995000"),
    code("%who_ls int"),
  ]),
  "tags.ipynb": notebook([
    code("1 / 0", ["skip-execution"]),
    code("raise ValueError('allowed to fail')", ["raises-exception"]),
    code("print('still running')"),
  ]),
  "nested/deeper/files.ipynb": notebook([
    code("import pathlib, tempfile\nd = pathlib.Path(tempfile.mkdtemp())"),
    code("for i in range(20):\n    (d / f'f{i}.txt').write_text('x' * i)"),
    code("sorted(p.name for p in d.iterdir())[:5]"),
    code("sum(p.stat().st_size for p in d.iterdir())"),
    code("import shutil\nshutil.rmtree(d)\nd.exists()"),
  ]),
};

const PATHS = Object.keys(CORPUS).sort();

/** The code cells each runner executes (skip-execution cells are not sent). */
function codeCells(path) {
  return JSON.parse(CORPUS[path])
    .cells.filter((c) => c.cell_type === "code" && !(c.metadata.tags ?? []).includes("skip-execution"))
    .map((c) => c.source);
}
const CELLS = PATHS.reduce((n, p) => n + codeCells(p).length, 0);

export const name = "notebook-throughput";
export const title = "Notebook throughput: Troop on the real hub vs nbclient locally";
export const description = `A corpus of ${PATHS.length} passing notebooks (${CELLS} code cells executed: imports, numpy, statistics, JSON and text, files, IPython magics and \`!\` commands, \`skip-execution\` and \`raises-exception\` tags, markdown cells, a nested folder; \`bench/notebook-throughput.mjs\`) run in alternating rounds by **Troop** — \`runNotebooks\` from \`dist/cli/run-notebooks.js\`, the code of \`troop run-notebooks DIR --hub URL\` (hub login, one lab spawned, each notebook in its own session and kernel, the lab deleted at the end) — against the project's real JupyterHub 3.0 (Debian bookworm, 127.0.0.1, \`scripts/hub/start.sh\`), and by **nbclient** (Debian's python3-nbclient 0.7, \`bench/nbclient_throughput.py\`) running the same notebooks locally, each in a fresh local ipykernel, one after the other. Both use the same Python and ipykernel (/usr/bin/python3). The **raw** client (the minimal \`ws\` client of \`bench/lib.mjs\`) sends the same code cells back to back to a fresh kernel of another lab on the same hub: the floor for Troop's per-cell overhead.`;

// ---------------------------------------------------------------- runners

/** A writable that drops everything (runNotebooks' progress output). */
const sink = { write: () => true, isTTY: false, columns: 100 };

async function troopRound(dist, hub, dir, user) {
  const out = mkdtempSync(join(tmpdir(), "troop-nbbench-out-"));
  try {
    const t = performance.now();
    const code = await dist.runNotebooks({ source: dir, hub: hub.url, user, cellTimeout: `${CELL_TIMEOUT_S}s`, outputDir: out }, { env: { TROOP_HUB_ADMIN_TOKEN: hub.adminToken }, out: sink, err: sink });
    const wallMs = performance.now() - t;
    if (code !== 0) throw new Error(`runNotebooks exited ${code}`);
    const notebooks = {};
    for (const p of PATHS) {
      const troop = JSON.parse(readFileSync(join(out, p), "utf8")).metadata.troop;
      if (troop.result !== "success") throw new Error(`Troop: ${p} ${troop.result}: ${troop.error}`);
      notebooks[p] = { cellsMs: troop.duration_ms };
    }
    return { wallMs, notebooks };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function nbclientRound(dir) {
  const { stdout } = await run(PYTHON, [NBCLIENT, dir, String(CELL_TIMEOUT_S), ...PATHS], { env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" }, timeout: 600_000, maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout.trim().split("\n").at(-1));
  const notebooks = {};
  for (const p of PATHS) {
    const nb = r.notebooks[p];
    if (!nb.ok) throw new Error(`nbclient: ${p} failed`);
    notebooks[p] = { wallMs: nb.wall_ms, cellsMs: nb.cells_ms, cells: nb.cells };
  }
  return { wallMs: r.wall_ms, notebooks };
}

/** The same cells, back to back, through the raw client on a fresh kernel per notebook (as Troop opens one per notebook). */
async function rawRound(user) {
  const notebooks = {};
  for (const p of PATHS) {
    const raw = await openRawKernel(user.proxied, user.token, await newKernel(user));
    try {
      const t = performance.now();
      for (const source of codeCells(p)) await raw.execute(source);
      notebooks[p] = { cellsMs: performance.now() - t };
    } finally {
      raw.close();
    }
  }
  return { notebooks };
}

// ---------------------------------------------------------------- one run

export async function measure({ log = () => undefined } = {}) {
  const t0 = performance.now();
  const load = [loadavg()[0]];
  const dist = await import("../dist/cli/run-notebooks.js");
  const dir = mkdtempSync(join(tmpdir(), "troop-nbbench-corpus-"));
  for (const [p, text] of Object.entries(CORPUS)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  log("  starting the real hub …");
  const hub = await startRealHub();
  const rounds = [];
  try {
    const rawUser = await spawnUser(hub, "bot-nbbench-raw");
    for (let r = 0; r < ROUNDS; r++) {
      // alternate the order, so that neither runner always goes first
      const order = r % 2 ? ["nbclient", "troop", "raw"] : ["troop", "nbclient", "raw"];
      const round = {};
      for (const k of order) {
        log(`  round ${r + 1}/${ROUNDS}: ${k} …`);
        if (k === "troop") round.troop = await troopRound(dist, hub, dir, "bot-nbbench-troop");
        else if (k === "nbclient") round.nbclient = await nbclientRound(dir);
        else round.raw = await rawRound(rawUser);
      }
      log(`  round ${r + 1}: Troop ${(round.troop.wallMs / 1000).toFixed(2)} s, nbclient ${(round.nbclient.wallMs / 1000).toFixed(2)} s`);
      rounds.push(round);
    }
  } finally {
    await hub.stop().catch((err) => log(`  stop.sh failed: ${err.message}`));
    rmSync(dir, { recursive: true, force: true });
  }
  load.push(loadavg()[0]);
  return { rounds, notebooks: PATHS.length, cells: CELLS, loadavg: load, seconds: (performance.now() - t0) / 1000, build: buildInfo(), at: new Date().toISOString() };
}

// ---------------------------------------------------------------- report

/** Per round: the figures of the table. */
function figures(round) {
  const sum = (runner, k) => PATHS.reduce((s, p) => s + round[runner].notebooks[p][k], 0);
  const troopCells = sum("troop", "cellsMs");
  const nbCells = sum("nbclient", "cellsMs");
  const rawCells = sum("raw", "cellsMs");
  return {
    troopWall: round.troop.wallMs,
    nbWall: round.nbclient.wallMs,
    wallRatio: round.troop.wallMs / round.nbclient.wallMs,
    troopCells,
    nbCells,
    rawCells,
    cellsRatio: troopCells / nbCells,
    troopPerCell: troopCells / CELLS,
    nbPerCell: nbCells / CELLS,
    rawPerCell: rawCells / CELLS,
    overheadPerCell: (troopCells - rawCells) / CELLS,
    overheadRatio: troopCells / rawCells,
  };
}

export function report(runs) {
  const all = runs.flatMap((r) => r.rounds.map(figures));
  const med = (k) => median(all.map((f) => f[k]));
  const spread = (k, d, scale = 1, fmt = fix) => (all.length > 1 ? ` (${fmt(Math.min(...all.map((f) => f[k])) / scale, d)} to ${fmt(Math.max(...all.map((f) => f[k])) / scale, d)})` : "");
  const rows = [
    ["Whole corpus, wall time (s)", `${fix(med("troopWall") / 1000, 2)}${spread("troopWall", 2, 1000)}`, `${fix(med("nbWall") / 1000, 2)}${spread("nbWall", 2, 1000)}`, "—", `${fix(med("wallRatio"), 2)}×${spread("wallRatio", 2)}`],
    ["Cells only: first cell sent to last cell done, summed over notebooks (ms)", `${fix(med("troopCells"), 0)}${spread("troopCells", 0)}`, `${fix(med("nbCells"), 0)}${spread("nbCells", 0)}`, `${fix(med("rawCells"), 0)}${spread("rawCells", 0)}`, `${fix(med("cellsRatio"), 2)}×${spread("cellsRatio", 2)}`],
    ["Per code cell (ms)", fix(med("troopPerCell"), 2), fix(med("nbPerCell"), 2), fix(med("rawPerCell"), 2), "—"],
  ];
  const rounds = all.length;
  const loads = runs.flatMap((r) => r.loadavg);
  return [
    measuredLine(name, runs),
    "",
    table(["", "Troop on the real hub", "nbclient, local kernel", "Raw ws client on the real hub", "Troop / nbclient"], rows),
    "",
    `**Troop's own overhead per cell over the kernel round trip** (Troop's cell time − the raw client's for the same cells, / ${all[0] ? CELLS : "?"} cells): **${signed(med("overheadPerCell"), 2)} ms** per cell${spread("overheadPerCell", 2, 1, signed)}, Troop / raw ${fix(med("overheadRatio"), 3)}×. Troop records whole milliseconds per notebook, so one round resolves about ±${fix(7 / CELLS, 2)} ms per cell; the ~40 ms stall of each back-to-back cell (below) varies by a few ms from cell to cell, which is what the spread shows.`,
    "",
    `- ${PATHS.length} notebooks, ${CELLS} code cells executed per pass; ${rounds} round${rounds > 1 ? "s" : ""} (${runs.length} run${runs.length > 1 ? "s" : ""} × ${runs[0]?.rounds.length ?? "?"}), every figure the median over rounds (spread in brackets; a ratio is the median of the per-round ratios); each round runs Troop, nbclient and raw one after the other, the first two alternating which goes first.`,
    "- Whole corpus: Troop = the `runNotebooks` call (hub login and token, lab spawn, every notebook in its own session, lab deletion); nbclient = one Python process running every notebook in turn (kernel start and shutdown per notebook, notebook read).",
    "- Cells only: Troop = `metadata.troop.duration_ms` of each executed notebook (from the first `execute_request` to the last cell's end); nbclient = first cell's `on_cell_execute` to last cell's `on_cell_executed`; raw = the same cells back to back through the minimal `ws` client on a fresh kernel per notebook. Troop and raw take the same path (configurable-http-proxy → jupyter_server's kernel websocket), so their difference is Troop's own cost; the gap to nbclient is the platform's websocket path, mostly the ~40 ms delayed-ACK stall per back-to-back cell explained in performance-notes.md §1, which ZeroMQ does not have.",
    `- ${describeBuild(runs.map((r) => r.build))}. 1-minute load average before/after each run: ${loads.map((l) => l.toFixed(1)).join(", ")}.`,
  ].join("\n");
}

// ---------------------------------------------------------------- entry point

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const { values } = parseArgs({ options: { rounds: { type: "string" }, json: { type: "string" } } });
  if (values.rounds) ROUNDS = Number(values.rounds);
  const result = await measure({ log: (m) => console.error(m) });
  result.command = commandLine();
  if (values.json) writeFileSync(values.json, JSON.stringify(result)); // to render or merge later
  console.error(JSON.stringify(result.rounds.map(figures), null, 1));
  console.log(report([result]));
}
