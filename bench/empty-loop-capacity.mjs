/**
 * Capacity benchmark: how many idle EmptyLoop monkeys one process holds, and what each costs.
 *
 * For each N, a FRESH child process (`node --expose-gc bench/empty-loop-capacity.mjs --child N`)
 * builds the real container (dummy hub URL and admin token: EmptyLoop never contacts the hub), PUTs N idle
 * EmptyLoop monkeys, waits until every monkey has completed at least one iteration, then
 * measures memory (after a forced GC), event-loop delay and API latency, and shuts down.
 *
 *   node bench/empty-loop-capacity.mjs            # one run, prints a table
 *   node bench/empty-loop-capacity.mjs --child N  # one measurement (used internally)
 *
 * Imports from ../dist/: build first (`npx tsc -p tsconfig.build.json`). `bench/run.mjs` runs
 * this several times and writes docs/performance.md.
 * @module
 */
import { childMain, median, percentile } from "./lib.mjs";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { freemem, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

const SELF = fileURLToPath(import.meta.url);
/** Monkey counts measured; the last is skipped if the previous one says it would not fit. */
const COUNTS = [0, 1000, 5000, 10_000];
const OPTIONAL_COUNT = 20_000;
/** The engine caps one flock at 10,000 monkeys (MAX_FLOCK_COUNT); larger N uses several flocks. */
const FLOCK_MAX = 10_000;
const IDLE = { idle_time: "10s", jitter: "10s" };
const MEMORY_SAMPLES = 5;
const MEMORY_INTERVAL_MS = 200;
const LAG_WINDOW_MS = 5000;
const LAG_RESOLUTION_MS = 10;
const SUMMARY_CALLS = 50;
const FLOCK_DATA_CALLS = 5;
const READY_TIMEOUT_MS = 180_000;

export const name = "empty-loop-capacity";
export const title = "Idle EmptyLoop capacity";
export const description = `Idle \`EmptyLoop\` monkeys (\`idle_time: ${IDLE.idle_time}\`, \`jitter: ${IDLE.jitter}\`) in one process, one fresh child process per N (\`node --expose-gc\`), real container (SQLite store, Fastify API through \`inject\`), hub URL a dummy that is never contacted. Measured once every monkey has completed at least one iteration.`;

// ---------------------------------------------------------------- child: one measurement

async function child(n) {
  if (typeof globalThis.gc !== "function") throw new Error("run the child with node --expose-gc");
  const { buildContainer } = await import("../dist/container.js");
  const { loadConfigText } = await import("../dist/config/load.js");

  const dir = mkdtempSync(join(tmpdir(), "troop-bench-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true })); // also on failure
  const apiToken = randomBytes(16).toString("hex"); // 32 characters
  const text = JSON.stringify({ hub: { url: "http://127.0.0.1:9", adminToken: randomBytes(16).toString("hex") }, apiToken, database: join(dir, "troop.sqlite"), logLevel: "error" }); // JSON is YAML
  const { config } = loadConfigText(text, "bench-config", {}); // empty env: no TROOP_* overrides
  const container = await buildContainer(config, { logDestination: process.stderr });
  const { manager, server } = container;
  await manager.startup();

  // PUT the flock(s) and time the call (builds and starts every monkey synchronously).
  const flockNames = [];
  const putStart = performance.now();
  for (let done = 0, i = 1; done < n; i++) {
    const count = Math.min(FLOCK_MAX, n - done);
    const single = n <= FLOCK_MAX;
    const flockName = single ? "bench" : `bench-${i}`;
    await manager.putFlock({ name: flockName, count, user_spec: { username_prefix: single ? "bot-bench" : `bot-bench-${i}-` }, business: { type: "EmptyLoop", options: IDLE } });
    flockNames.push(flockName);
    done += count;
  }
  const putMs = performance.now() - putStart;

  // Wait until every monkey has completed ≥1 iteration (summaries first, then each monkey).
  const readyStart = performance.now();
  for (;;) {
    const total = manager.summaries().reduce((s, f) => s + f.success_count, 0);
    if (total >= n && flockNames.every((f) => manager.getFlock(f).listMonkeys().every((m) => m.successCount >= 1))) break;
    if (performance.now() - readyStart > READY_TIMEOUT_MS) throw new Error(`monkeys not ready after ${READY_TIMEOUT_MS} ms (${total}/${n} iterations)`);
    await sleep(250);
  }
  const readyMs = performance.now() - readyStart;
  const failures = manager.summaries().reduce((s, f) => s + f.failure_count, 0);

  // Memory: forced GC before each sample; median of the samples.
  const fullGc = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await sleep(10);
    }
  };
  const rss = [];
  const heapUsed = [];
  const external = [];
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    if (i > 0) await sleep(MEMORY_INTERVAL_MS);
    await fullGc();
    const m = process.memoryUsage();
    rss.push(m.rss);
    heapUsed.push(m.heapUsed);
    external.push(m.external);
  }

  // Event-loop delay over a window with every monkey alive (values include the resolution).
  const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const iterations = () => manager.summaries().reduce((s, f) => s + f.success_count + f.failure_count, 0);
  const before = iterations();
  h.enable();
  await sleep(LAG_WINDOW_MS);
  h.disable();
  const iterationsPerSec = (iterations() - before) / (LAG_WINDOW_MS / 1000);
  const lag = (ns) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);

  // API latency through inject, with the bearer token.
  const headers = { authorization: `Bearer ${apiToken}` };
  const timeInject = async (url, calls, check) => {
    for (let i = 0; i < 3; i++) await server.inject({ method: "GET", url, headers }); // warm-up
    const ms = [];
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      const res = await server.inject({ method: "GET", url, headers });
      ms.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (i === 0) check?.(res.json());
    }
    return ms;
  };
  const summaryMs = await timeInject(`${config.pathPrefix}/summary`, SUMMARY_CALLS, (body) => {
    const monkeys = body.flocks.reduce((s, f) => s + f.monkey_count, 0);
    if (monkeys !== n) throw new Error(`/summary lists ${monkeys} monkeys, expected ${n}`);
  });
  const flockDataMs = n > 0 ? await timeInject(`${config.pathPrefix}/flocks/${flockNames[0]}`, FLOCK_DATA_CALLS) : [];

  const closeStart = performance.now();
  const clean = await container.close();
  const closeMs = performance.now() - closeStart;

  return {
    n,
    flocks: flockNames.length,
    rss: median(rss),
    heapUsed: median(heapUsed),
    external: median(external),
    lagP50Ms: lag(h.percentile(50)),
    lagP99Ms: lag(h.percentile(99)),
    lagMaxMs: lag(h.max),
    iterationsPerSec,
    summaryP50Ms: percentile(summaryMs, 50),
    summaryP99Ms: percentile(summaryMs, 99),
    flockDataP50Ms: flockDataMs.length ? percentile(flockDataMs, 50) : null,
    putMs,
    readyMs,
    closeMs,
    cleanShutdown: clean,
    failures,
  };
}

// ---------------------------------------------------------------- parent: one run over every N

/** Run the child for `n` and return its result (sent over IPC). */
export function measureOne(n) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--expose-gc", SELF, "--child", String(n)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result = null;
    proc.on("message", (m) => (result = m));
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (code === 0 && result && !result.error) resolve(result);
      else reject(new Error(`child N=${n} failed (${signal ?? `exit ${code}`})${result?.error ? `: ${result.error}` : ""}`));
    });
  });
}

/** One run: every N in a fresh process; adds per-monkey figures relative to N = 0. */
export async function measure({ log = () => undefined } = {}) {
  const points = [];
  for (const n of COUNTS) {
    log(`  N=${n} …`);
    points.push(await measureOne(n));
  }
  const last = points.at(-1);
  const perMonkey = (last.rss - points[0].rss) / last.n;
  const projected = points[0].rss + perMonkey * OPTIONAL_COUNT;
  if (projected < freemem() * 0.5) {
    log(`  N=${OPTIONAL_COUNT} …`);
    points.push(await measureOne(OPTIONAL_COUNT));
  } else {
    log(`  N=${OPTIONAL_COUNT} skipped: projected RSS ${mb(projected)} MB > half the free memory`);
  }
  const base = points[0];
  for (const p of points) {
    p.rssPerMonkey = p.n ? (p.rss - base.rss) / p.n : null;
    p.heapPerMonkey = p.n ? (p.heapUsed - base.heapUsed) / p.n : null;
  }
  return { points };
}

/** Markdown for several runs: every figure is the median over runs for that N. */
export function report(runs) {
  const ns = [...new Set(runs.flatMap((r) => r.points.map((p) => p.n)))].sort((a, b) => a - b);
  const rows = ns.map((n) => {
    const ps = runs.flatMap((r) => r.points.filter((p) => p.n === n));
    const med = (k) => median(ps.map((p) => p[k]).filter((v) => v !== null && v !== undefined));
    const flocks = ps[0].flocks;
    return [
      `${n.toLocaleString("en-US")}${flocks > 1 ? ` (${flocks} flocks)` : ""}`,
      mb(med("rss")),
      mb(med("heapUsed")),
      n ? kb(med("rssPerMonkey")) : "—",
      n ? kb(med("heapPerMonkey")) : "—",
      fix(med("lagP99Ms"), 1),
      n ? fix(med("iterationsPerSec"), 0) : "—",
      `${fix(med("summaryP50Ms"), 2)} / ${fix(med("summaryP99Ms"), 2)}`,
      n ? fix(med("flockDataP50Ms"), 0) : "—",
      n ? fix(med("putMs"), 0) : "—",
      fix(med("closeMs"), 0),
      `${ps.length}`,
    ];
  });
  const header = ["Monkeys (N)", "RSS (MB)", "Heap used (MB)", "RSS / monkey (KB)", "Heap / monkey (KB)", "Event-loop delay p99 (ms)", "Iterations/s in that window", "GET /summary p50 / p99 (ms)", "GET /flocks/{flock} p50 (ms)", "PUT flock (ms)", "Shutdown (ms)", "Runs"];
  const failures = runs.flatMap((r) => r.points).reduce((s, p) => s + p.failures, 0);
  const unclean = runs.flatMap((r) => r.points).filter((p) => !p.cleanShutdown).length;
  return [
    table(header, rows),
    "",
    `- Memory: RSS and V8 heap used after a forced GC, median of ${MEMORY_SAMPLES} samples ${MEMORY_INTERVAL_MS} ms apart; per monkey = (value(N) − value(0)) / N, the N = 0 baseline being a container with no flock in its own process.`,
    "- At small N, RSS per monkey is inflated by one-off costs (code compiled and heap pages reserved on first use); the largest N give the representative figure. Memory is measured after the first iteration: anything a monkey keeps per iteration is not in these figures.",
    `- Event-loop delay: \`perf_hooks.monitorEventLoopDelay\` (resolution ${LAG_RESOLUTION_MS} ms, which is subtracted) over ${LAG_WINDOW_MS / 1000} s while every monkey idles and iterates. The window starts about a second after the last monkey's first iteration; the iterations per second in it are shown (steady state: about N / 15 per second, idle 10 s + jitter 0–10 s).`,
    `- \`GET /summary\`: ${SUMMARY_CALLS} sequential calls through \`server.inject\` with the bearer token (p99 of 50 calls is the slowest call); \`GET /flocks/{flock}\` (every monkey's data, one flock of up to 10,000): ${FLOCK_DATA_CALLS} calls.`,
    "- PUT flock: `manager.putFlock` for all N (validation, store row, building and starting every monkey). Shutdown: `container.close()` (every monkey stopped, counters flushed, database closed).",
    `- A flock holds at most 10,000 monkeys (\`MAX_FLOCK_COUNT\`), so N above that is split into flocks of 10,000. ${OPTIONAL_COUNT.toLocaleString("en-US")} is run only if projected to fit in half the free memory.`,
    `- Failed iterations over all runs: ${failures}; shutdowns that hit the timeout: ${unclean}. Every figure is the median over the runs.`,
  ].join("\n");
}

// ---------------------------------------------------------------- helpers

function mb(bytes) {
  return (bytes / 2 ** 20).toFixed(1);
}
function kb(bytes) {
  return (bytes / 1024).toFixed(2);
}
function fix(v, digits) {
  return v === null || v === undefined ? "—" : v.toFixed(digits);
}

export function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------- entry point

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const i = process.argv.indexOf("--child");
  if (i >= 0) {
    const n = Number(process.argv[i + 1]);
    await childMain(async () => {
      if (!Number.isInteger(n) || n < 0) throw new Error(`--child needs a monkey count, got ${process.argv[i + 1]}`);
      return child(n);
    });
  } else {
    const run = await measure({ log: (m) => console.error(m) });
    console.log(report([run]));
  }
}
