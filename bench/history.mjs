/**
 * History benchmark: how fast execution records go into SQLite, and what `GET /summary` (and
 * the history API) cost with one million stored executions.
 *
 * One fresh child process (`node --expose-gc bench/history.mjs --child`):
 * 1. writes WRITE_N synthetic records through the history store's write-behind queue (the
 *    monkeys' path) and times `add` and the flushes: executions per second into SQLite;
 * 2. fills the same database to TOTAL_N executions spread over the last 7 days (10 flocks);
 * 3. builds the real container on it (the 1 h / 24 h / 7 d windows are rebuilt from history),
 *    starts 10 idle EmptyLoop flocks of those names, and times the API through `inject`;
 * 4. times what a summary computed by SQL would cost instead (counts only), and retention.
 *
 *   node bench/history.mjs             # one run, prints a table
 *
 * Imports from ../dist/: build first (`npx tsc -p tsconfig.build.json`). `bench/run.mjs` runs
 * it and writes docs/performance.md.
 * @module
 */
import { childMain } from "./lib.mjs";
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const WRITE_N = 200_000;
const TOTAL_N = 1_000_000;
const FLOCKS = 10;
const MONKEYS_PER_FLOCK = 100;
const SUMMARY_CALLS = 200;
const PAGE_CALLS = 50;
const WEEK_MS = 7 * 86_400_000;
const PHASES = [["lab_status", 40], ["create_session", 900], ["execute_setup", 120], ["execute_code", 300], ["delete_session", 60]];

export const name = "history";
export const title = "Execution history and summaries";
export const description = `Synthetic \`NubladoPythonLoop\`-shaped records (5 phases, 1 in 20 failing with a traceback; about 1.4 kB of JSON each) in a fresh child process (\`node --expose-gc\`): ${WRITE_N.toLocaleString("en-US")} written through the history store's write-behind queue, then the database filled to ${TOTAL_N.toLocaleString("en-US")} executions over the last 7 days in ${FLOCKS} flocks; then the real container is built on that database and ${FLOCKS} idle EmptyLoop flocks of ${MONKEYS_PER_FLOCK} monkeys with those names are started.`;

// ---------------------------------------------------------------- child

/** A synthetic record started at `t` (ms). */
function makeRecord(t, i) {
  const k = Math.floor(i / FLOCKS); // the record's rank within its flock
  const failed = k % 20 === 7;
  const flock = `f${i % FLOCKS}`;
  let at = t;
  const phases = PHASES.map(([name, base]) => {
    const d = Math.round(base * (0.5 + ((i * 7919 + name.length * 104729) % 1000) / 1000));
    const p = { name, started_at: new Date(at).toISOString(), duration_ms: d, ok: !(failed && name === "execute_code") };
    at += d;
    return p;
  });
  return {
    id: `${t.toString(16).padStart(12, "0")}-${randomUUID().slice(0, 18)}`,
    flock,
    monkey: `bot-${flock}-${(k % MONKEYS_PER_FLOCK) + 1}`,
    business: "NubladoPythonLoop",
    started_at: new Date(t).toISOString(),
    ended_at: new Date(at).toISOString(),
    duration_ms: at - t,
    result: failed ? "failure" : "success",
    phases,
    error: failed
      ? { phase: "execute_code", failure_class: "code_error", message: "ValueError: scheduled failure", code: 'import os\nraise ValueError("scheduled failure")', exception: "ValueError", traceback: `Traceback (most recent call last):\n  Cell In[1], line 2\n    raise ValueError("scheduled failure")\nValueError: scheduled failure`, notebook: null, cell_number: null, cell_id: null, output_tail: null }
      : null,
    image: { reference: "docker.io/lsstsqre/sciplat-lab:w_2026_47", description: "Weekly 2026_47", tag: "w_2026_47", type: "weekly", version: "2026_47" },
    notebook: null,
    artifact: null,
    note: null,
    details: {},
  };
}

async function child() {
  const { SqliteFlockStore } = await import("../dist/store/sqlite.js");
  const { SqliteHistoryStore } = await import("../dist/store/history-sqlite.js");
  const { buildContainer } = await import("../dist/container.js");
  const { loadConfigText } = await import("../dist/config/load.js");
  const dir = mkdtempSync(join(tmpdir(), "troop-bench-history-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const database = join(dir, "troop.sqlite");
  const now = Date.now();
  const step = WEEK_MS / TOTAL_N; // spread over the last 7 days, oldest first
  const at = (i) => Math.floor(now - WEEK_MS + i * step);

  // 1. write throughput through the write-behind queue
  const store = await SqliteFlockStore.open(database);
  const history = new SqliteHistoryStore(store.db, { maxAge: 30 * 86_400_000, maxRows: 10_000_000, flushInterval: 500, queueLimit: 10_000_000, pruneInterval: 3_600_000 });
  let records = Array.from({ length: WRITE_N }, (_, i) => makeRecord(at(i), i));
  const bytes = records.reduce((s, r) => s + JSON.stringify(r).length, 0) / WRITE_N;
  const sampleId = records[WRITE_N / 2].id;
  const lag = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  for (const r of records) history.add(r);
  const addMs = performance.now() - t0;
  lag.enable(); // the flushes only: the loop above stands for many monkeys over time
  await history.flush();
  const writeMs = performance.now() - t0;
  lag.disable();
  // 2. fill to TOTAL_N (the same path, in chunks so memory stays flat)
  records = null;
  const fillStart = performance.now();
  for (let i = WRITE_N; i < TOTAL_N; i += 50_000) {
    for (let j = i; j < Math.min(TOTAL_N, i + 50_000); j++) history.add(makeRecord(at(j), j));
    await history.flush();
  }
  const fillMs = performance.now() - fillStart;
  await history.close();
  await store.close();
  const dbBytes = statSync(database).size + (statSync(`${database}-wal`, { throwIfNoEntry: false })?.size ?? 0);

  // 3. the container on that database
  const apiToken = randomBytes(16).toString("hex");
  const text = JSON.stringify({ hub: { url: "http://127.0.0.1:9", adminToken: randomBytes(16).toString("hex") }, apiToken, database, logLevel: "error" });
  const { config } = loadConfigText(text, "bench-config", {});
  const heap = async () => {
    for (let i = 0; i < 3; i++) (globalThis.gc(), await sleep(10));
    return process.memoryUsage().heapUsed;
  };
  const heapBefore = await heap();
  const buildStart = performance.now();
  const container = await buildContainer(config, { logDestination: process.stderr });
  const buildMs = performance.now() - buildStart;
  await container.manager.startup();
  for (let f = 0; f < FLOCKS; f++) {
    await container.manager.putFlock({ name: `f${f}`, count: MONKEYS_PER_FLOCK, user_spec: { username_prefix: `bot-f${f}-` }, business: { type: "EmptyLoop", options: { idle_time: "10s", jitter: "10s" } } });
  }
  await sleep(1000);
  const heapAfter = await heap();
  const headers = { authorization: `Bearer ${apiToken}` };
  const time = async (url, calls, check) => {
    for (let i = 0; i < 3; i++) await container.server.inject({ method: "GET", url, headers });
    const ms = [];
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      const res = await container.server.inject({ method: "GET", url, headers });
      ms.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (i === 0) check?.(res.json());
    }
    return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
  };
  const summary = await time("/summary", SUMMARY_CALLS, (body) => {
    const seven = body.flocks.reduce((s, f) => s + f.windows["7d"].executions, 0);
    if (body.flocks.length !== FLOCKS || seven < TOTAL_N * 0.99) throw new Error(`/summary: ${body.flocks.length} flocks, ${seven} executions in 7d`);
  });
  const flockSummary = await time("/flocks/f3/summary", SUMMARY_CALLS);
  const page = await time("/flocks/f3/executions?limit=100", PAGE_CALLS, (b) => {
    if (b.executions.length !== 100) throw new Error("short page");
  });
  const failures = await time("/flocks/f3/executions?result=failure&limit=100", PAGE_CALLS);
  const deep = await time(`/flocks/f3/executions?limit=100&until=${encodeURIComponent(new Date(now - 3 * 86_400_000).toISOString())}&monkey=bot-f3-42`, PAGE_CALLS);
  const one = await time(`/executions/${sampleId}`, PAGE_CALLS);
  const metrics = await time("/metrics", 20);

  // 4. what a summary by SQL would cost (counts per flock and result only), and retention
  const db = container.store.db;
  const { sql } = await import("kysely");
  const sqlCounts = async (windowMs) => {
    const floor = Math.floor(now - windowMs).toString(16).padStart(12, "0");
    const t = performance.now();
    await sql`SELECT flock, result, count(*) AS n FROM executions WHERE id >= ${floor} GROUP BY flock, result`.execute(db);
    return performance.now() - t;
  };
  const sql24h = await sqlCounts(86_400_000);
  const sql7d = await sqlCounts(WEEK_MS);
  const retention = new SqliteHistoryStore(db, { maxAge: 30 * 86_400_000, maxRows: TOTAL_N - 100_000, flushInterval: 500, queueLimit: 1000, pruneInterval: 3_600_000 });
  const pruneLag = monitorEventLoopDelay({ resolution: 1 });
  pruneLag.enable();
  const pruneStart = performance.now();
  const pruned = await retention.prune();
  const pruneMs = performance.now() - pruneStart;
  pruneLag.disable();
  await retention.close();
  await container.close();

  return {
    recordBytes: bytes,
    addUs: (addMs * 1000) / WRITE_N,
    writePerSec: WRITE_N / (writeMs / 1000),
    writeLagMaxMs: lag.max / 1e6,
    fillPerSec: (TOTAL_N - WRITE_N) / (fillMs / 1000),
    dbMb: dbBytes / 2 ** 20,
    buildMs,
    rebuilt: container.results.rebuilt,
    windowsMb: (heapAfter - heapBefore) / 2 ** 20,
    summary,
    flockSummary,
    page,
    failures,
    deep,
    one,
    metrics,
    sql24h,
    sql7d,
    pruned,
    pruneMs,
    pruneLagMaxMs: pruneLag.max / 1e6,
  };
}

// ---------------------------------------------------------------- parent

/** One run in a fresh child process. */
export function measure({ log = () => undefined } = {}) {
  log(`  ${WRITE_N.toLocaleString("en-US")} writes, fill to ${TOTAL_N.toLocaleString("en-US")}, API …`);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--expose-gc", SELF, "--child"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result = null;
    proc.on("message", (m) => (result = m));
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (code === 0 && result && !result.error) resolve(result);
      else reject(new Error(`child failed (${signal ?? `exit ${code}`})${result?.error ? `: ${result.error}` : ""}`));
    });
  });
}

/** Markdown for several runs (medians). */
export function report(runs) {
  const med = (f) => percentile(runs.map(f), 50);
  const ms = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  const pair = (k) => `${ms(med((r) => r[k].p50))} / ${ms(med((r) => r[k].p99))}`;
  const n = (v) => Math.round(v).toLocaleString("en-US");
  const rows = [
    ["History write throughput (write-behind queue → SQLite, one transaction per 500)", `${n(med((r) => r.writePerSec))} executions/s`],
    ["`add()` on the monkey's path", `${med((r) => r.addUs).toFixed(2)} µs per record`],
    ["Longest event-loop stall while writing (one 500-row transaction)", `${ms(med((r) => r.writeLagMaxMs))} ms`],
    ["Fill rate to 1M (50,000 per flush)", `${n(med((r) => r.fillPerSec))} executions/s`],
    ["Database size with 1M executions", `${med((r) => r.dbMb).toFixed(0)} MB (${n((med((r) => r.dbMb) * 2 ** 20) / TOTAL_N)} B per execution; record JSON ≈ ${n(med((r) => r.recordBytes))} B)`],
    ["Container start-up with 1M stored (windows rebuilt from the 7 d of history)", `${n(med((r) => r.buildMs))} ms (${n(med((r) => r.rebuilt))} executions read)`],
    ["Heap of the container with its rebuilt windows and 1,000 idle monkeys (after GC)", `${med((r) => r.windowsMb).toFixed(0)} MB`],
    ["`GET /summary` (10 flocks, windows of 1M executions) p50 / p99", `${pair("summary")} ms`],
    ["`GET /flocks/{flock}/summary` p50 / p99", `${pair("flockSummary")} ms`],
    ["`GET /flocks/{flock}/executions?limit=100` (newest page) p50 / p99", `${pair("page")} ms`],
    ["… `?result=failure&limit=100` p50 / p99", `${pair("failures")} ms`],
    ["… `?monkey=…&until=3 days ago&limit=100` p50 / p99", `${pair("deep")} ms`],
    ["`GET /executions/{id}` p50 / p99", `${pair("one")} ms`],
    ["`GET /metrics` p50 / p99", `${pair("metrics")} ms`],
    ["For comparison: counts per flock and result by SQL over 24 h / 7 d", `${ms(med((r) => r.sql24h))} / ${ms(med((r) => r.sql7d))} ms (no percentiles)`],
    ["Retention: prune 100,000 rows over the cap", `${n(med((r) => r.pruneMs))} ms, longest event-loop stall ${ms(med((r) => r.pruneLagMaxMs))} ms`],
  ];
  return [
    "| Measure | Value |",
    "| --- | ---: |",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
    `- API calls through \`server.inject\` with the bearer token, after 3 warm-up calls: ${SUMMARY_CALLS} calls for summaries, ${PAGE_CALLS} for history reads, 20 for /metrics.`,
    "- The summaries read the in-memory rolling windows (buckets of 1 min / 15 min / 2 h with running totals), so their cost does not grow with the stored history; the SQL line shows what a scan of the same rows would cost per call, before any percentile.",
    `- Runs: ${runs.length}; every figure is the median over the runs.`,
  ].join("\n");
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  if (p === 50) {
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  }
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

// ---------------------------------------------------------------- entry point

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv.includes("--child")) {
    await childMain(child);
  } else {
    const run = await measure({ log: (m) => console.error(m) });
    console.log(report([run]));
  }
}
