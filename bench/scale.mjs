/**
 * Scale in one process: N busy NubladoPythonLoop monkeys in one Troop process (real container
 * from dist/: SQLite store, Fastify API listening on 127.0.0.1, pino at the default `info`
 * level into /dev/null) against bench/fake-hub.mjs, a protocol-faithful fake JupyterHub + lab
 * that answers spawns and executions at once, run as a separate process.
 *
 * For each N, a fresh fake hub and a FRESH Troop child process (`node bench/scale.mjs --child N`)
 * start; the child PUTs one flock of N monkeys (started in batches), waits until every monkey
 * has its kernel session open, then measures for WINDOW_MS: executions/s (answered by the
 * fake), Troop's RSS, CPU (process.cpuUsage), event-loop delay, while the parent process calls
 * `GET /summary` over HTTP every SUMMARY_EVERY_MS. Then the child shuts down (every lab deleted,
 * every token revoked) and the fake hub stops.
 *
 *   node bench/scale.mjs                         # one run over every N, prints a table
 *   node bench/scale.mjs --points 1000:busy      # only these N:cadence (comma-separated)
 *   node bench/scale.mjs --points 10000:busy --profile /tmp/prof   # + a V8 CPU profile of the window
 *   node bench/scale.mjs --points 10000:paced:before,10000:paced --cpu-prof /tmp/prof
 *       # before/after issue 9's fixes in one run (bench/legacy.mjs), each Troop process profiled
 *       # for its whole life by `node --cpu-prof` (summarise with bench/cpuprofile-top.mjs)
 *   node bench/scale.mjs --points 10000:busy:pass2,10000:busy --heap-profile /tmp/heap
 *       # + a sampling heap profile of the window, collected objects included (what the GC works
 *       # on; summarise with bench/heapprofile-top.mjs)
 *   node bench/scale.mjs --points 1000:busy --json /tmp/scale.json   # also keep the raw figures
 *
 * Imports from ../dist/: build first (`npx tsc -p tsconfig.build.json`). `bench/run.mjs` runs
 * this several times and writes docs/performance.md.
 * @module
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildInfo, describeBuild } from "./build-info.mjs";
import { installVariant } from "./legacy.mjs";
import { childMain, commandLine, fix, mb, measuredLine, median, percentile, table } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const FAKE_HUB = join(dirname(SELF), "fake-hub.mjs");
const FLOCK_MAX = 10_000;
/**
 * Short idles: each monkey runs print(1+1) every `execution_idle_time`, 25 per session, then a
 * new session after `idle_time` + 0–2 s. "busy" (1 s) offers ≈ 0.93 executions/s per monkey,
 * more than one core can answer at 10,000; "paced" (10 s) offers a tenth of that, to see the
 * targets at 10,000 monkeys when the machine is not the limit.
 */
const CADENCES = { busy: "1s", paced: "10s" };
/**
 * "current": dist/ as built. "before": the same build with the code as it was before issue 9's
 * fixes put back in the child process (`SecretScrubber`, `Business.phase` and `HttpClient`'s
 * per-origin limit of the second pass; the kernel client and phase machinery of the third,
 * kept in bench/legacy.mjs), so that before and after are measured in one run; "pass2": only the
 * third pass undone (the code as after the second pass); "legacy-scrubber": only the old scrubber.
 */
const VARIANTS = ["current", "before", "pass2", "legacy-scrubber"];
const POINTS = [
  { n: 1000, cadence: "busy" },
  { n: 5000, cadence: "busy" },
  { n: 10_000, cadence: "busy", variant: "before" },
  { n: 10_000, cadence: "busy" },
  { n: 10_000, cadence: "paced", variant: "before" },
  { n: 10_000, cadence: "paced" },
];
const optionsFor = (cadence) => ({ code: "print(1+1)", max_executions: 25, execution_idle_time: CADENCES[cadence], idle_time: "1s", jitter: "2s", error_idle_time: "5s", spawn_settle_time: 0, delete_lab: false, jupyter_timeout: "60s", execution_timeout: "60s", kernel_name: "python3" });
const OPTIONS = optionsFor("busy");
/** Offered executions/s per monkey: 25 executions `gap` apart, then ~1 s idle + 0–2 s jitter + session change. */
const offeredPerMonkey = (cadence) => 25 / (25 * (Number.parseFloat(CADENCES[cadence]) || 1) + 2);
const START_BATCH = { start_batch_size: 250, start_batch_wait: "1s" };
const SETTLE_MS = 5000;
const WINDOW_MS = 20_000;
const LAG_RESOLUTION_MS = 10;
const RSS_EVERY_MS = 1000;
const SUMMARY_EVERY_MS = 100;
const READY_TIMEOUT_MS = 240_000;

export const name = "scale";
export const title = "Busy NubladoPythonLoop monkeys in one process (fake hub)";
export const description = `\`NubladoPythonLoop\` monkeys (\`${OPTIONS.code}\`, \`max_executions: ${OPTIONS.max_executions}\`, \`execution_idle_time\` ${CADENCES.busy} ("busy") or ${CADENCES.paced} ("paced"), \`idle_time: ${OPTIONS.idle_time}\`, \`jitter: ${OPTIONS.jitter}\`, \`error_idle_time: ${OPTIONS.error_idle_time}\`, \`delete_lab: false\`; started ${START_BATCH.start_batch_size} every ${START_BATCH.start_batch_wait}) in one Troop process against \`bench/fake-hub.mjs\` (a fake JupyterHub 3 + jupyter-server lab in its own process that answers spawns and executions at once, \`hub.type: jupyterhub\`). Fresh fake hub and fresh Troop process per N (real container: SQLite store, the API listening on 127.0.0.1, pino at the default \`info\` level into /dev/null). Measured over ${WINDOW_MS / 1000} s once every monkey has its kernel session open (plus ${SETTLE_MS / 1000} s). Offered load ≈ N × 25 / 27 executions/s busy, N × 25 / 252 paced.`;

// ---------------------------------------------------------------- the fake hub process

export async function startFakeHubProcess() {
  const adminToken = randomBytes(24).toString("hex");
  const proc = spawn(process.execPath, [FAKE_HUB, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, FAKE_HUB_ADMIN_TOKEN: adminToken } });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = /FAKE_HUB_URL=(\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.once("exit", (code) => reject(new Error(`fake hub exited (${code}) before listening`)));
  });
  return {
    url,
    adminToken,
    stats: async () => (await fetch(`${url}/_fake/stats`, { headers: { authorization: `token ${adminToken}` } })).json(),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}

// ---------------------------------------------------------------- child: one measurement

async function child(n, cadence, hubUrl, adminToken, profileDir, variant, heapDir = null) {
  await installVariant(variant);
  const { buildContainer } = await import("../dist/container.js");
  const { loadConfigText } = await import("../dist/config/load.js");
  const pino = (await import("pino")).default;

  const dir = mkdtempSync(join(tmpdir(), "troop-bench-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const apiToken = randomBytes(16).toString("hex");
  const text = JSON.stringify({ hub: { type: "jupyterhub", url: hubUrl, adminToken }, apiToken, database: join(dir, "troop.sqlite"), logLevel: "info", port: 0 });
  const { config } = loadConfigText(text, "bench-config", {});
  const container = await buildContainer(config, { logDestination: pino.destination({ dest: "/dev/null", sync: false }) });
  const { manager, server } = container;
  await manager.startup();
  await server.listen({ port: 0, host: "127.0.0.1" });
  const port = server.server.address().port;

  const putStart = performance.now();
  const flockNames = [];
  for (let done = 0, i = 1; done < n; i++) {
    const count = Math.min(FLOCK_MAX, n - done);
    const flockName = n <= FLOCK_MAX ? "scale" : `scale-${i}`;
    await manager.putFlock({ name: flockName, count, user_spec: { username_prefix: n <= FLOCK_MAX ? "bot-scale" : `bot-scale-${i}-` }, ...START_BATCH, business: { type: "NubladoPythonLoop", options: optionsFor(cadence) } });
    flockNames.push(flockName);
    done += count;
  }
  const putMs = performance.now() - putStart;

  // Ready: every monkey is in its execute loop (or has finished an iteration).
  const inLoop = new Set(["execute_code", "execution_idle"]);
  const readyStart = performance.now();
  for (;;) {
    let ready = 0;
    for (const f of flockNames) for (const m of manager.getFlock(f).listMonkeys()) if (m.successCount > 0 || inLoop.has(m.data().business.phase)) ready++;
    if (ready >= n) break;
    if (performance.now() - readyStart > READY_TIMEOUT_MS) throw new Error(`monkeys not ready after ${READY_TIMEOUT_MS} ms (${ready}/${n})`);
    await sleep(500);
  }
  const readyMs = performance.now() - readyStart;
  await sleep(SETTLE_MS);

  // The window.
  const fakeStats = async () => (await fetch(`${hubUrl}/_fake/stats`, { headers: { authorization: `token ${adminToken}` } })).json();
  const counts = () => manager.summaries().reduce((s, f) => ({ success: s.success + f.success_count, failure: s.failure + f.failure_count }), { success: 0, failure: 0 });
  let session = null;
  if (profileDir || heapDir) {
    const { Session } = await import("node:inspector/promises");
    session = new Session();
    session.connect();
  }
  if (profileDir) {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 1000 });
    await session.post("Profiler.start");
  }
  if (heapDir) {
    // every allocation sampled (one per 32 KB on average), including objects already collected: where the GC's work comes from
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", { samplingInterval: 32_768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  process.send?.({ type: "window-start", port, apiToken, prefix: config.pathPrefix });
  const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const fake0 = await fakeStats();
  const counts0 = counts();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  h.enable();
  const rss = [];
  const heap = [];
  while (performance.now() - t0 < WINDOW_MS) {
    await sleep(RSS_EVERY_MS);
    const m = process.memoryUsage();
    rss.push(m.rss);
    heap.push(m.heapUsed);
  }
  h.disable();
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const counts1 = counts();
  const fake1 = await fakeStats();
  process.send?.({ type: "window-end" });
  let profileFile = null;
  if (profileDir) {
    const { profile } = await session.post("Profiler.stop");
    profileFile = join(profileDir, `scale-${n}-${cadence}-${variant}-${Date.now()}.cpuprofile`);
    writeFileSync(profileFile, JSON.stringify(profile));
  }
  if (heapDir) {
    const { profile } = await session.post("HeapProfiler.stopSampling");
    writeFileSync(join(heapDir, `scale-${n}-${cadence}-${variant}-${Date.now()}.heapprofile`), JSON.stringify(profile));
  }
  session?.disconnect();
  const lag = (ns) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);

  // Failures so far, by phase (from the last execution of each monkey).
  const failedPhases = {};
  for (const f of flockNames) {
    for (const m of manager.getFlock(f).listMonkeys()) {
      const e = m.data().last_execution?.error;
      if (!e) continue;
      const key = `${e.phase}: ${e.message.replace(/https?:\/\/\S+/g, "<url>").replace(/bot-[\w.-]+/g, "<bot>").slice(0, 120)}`;
      failedPhases[key] = (failedPhases[key] ?? 0) + 1;
    }
  }

  const closeStart = performance.now();
  const clean = await container.close();
  const closeMs = performance.now() - closeStart;
  const fakeAfter = await fakeStats();

  return {
    n,
    cadence,
    putMs,
    readyMs,
    windowMs: elapsed,
    executionsPerSec: ((fake1.executes - fake0.executes) / elapsed) * 1000,
    iterationsPerSec: ((counts1.success + counts1.failure - counts0.success - counts0.failure) / elapsed) * 1000,
    failuresInWindow: counts1.failure - counts0.failure,
    failuresTotal: counts1.failure,
    failedPhases,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
    cpuUserPercent: (cpu.user / 1000 / elapsed) * 100,
    cpuPerExecUs: (cpu.user + cpu.system) / Math.max(1, fake1.executes - fake0.executes),
    fakeCpuPercent: ((fake1.cpuUserMs + fake1.cpuSystemMs - fake0.cpuUserMs - fake0.cpuSystemMs) / elapsed) * 100,
    rssMedian: median(rss),
    rssMax: Math.max(...rss),
    heapMedian: median(heap),
    lagP50Ms: lag(h.percentile(50)),
    lagP99Ms: lag(h.percentile(99)),
    lagMaxMs: lag(h.max),
    fdLimit: fdLimit(),
    closeMs,
    cleanShutdown: clean,
    labsLeft: fakeAfter.running,
    tokensLeft: fakeAfter.tokens,
    websocketsLeft: fakeAfter.wsOpen,
    profileFile,
  };
}

// ---------------------------------------------------------------- parent

/** One N: fresh fake hub, fresh Troop process; /summary timed from this process while loaded. */
export async function measureOne(n, cadence, { profileDir = null, cpuProfDir = null, heapDir = null, variant = "current", log = () => undefined } = {}) {
  const hub = await startFakeHubProcess();
  try {
    return await new Promise((resolve, reject) => {
      const cpuProf = cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--cpu-prof-name", `scale-${n}-${cadence}-${variant}-${Date.now()}.cpuprofile`, "--cpu-prof-interval", "1000"] : [];
      const proc = spawn(process.execPath, [...cpuProf, SELF, "--child", String(n), "--cadence", cadence, "--variant", variant, "--hub", hub.url, ...(profileDir ? ["--profile", profileDir] : []), ...(heapDir ? ["--heap-profile", heapDir] : [])], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, FAKE_HUB_ADMIN_TOKEN: hub.adminToken } });
      let result = null;
      let probing = null;
      // open file descriptors of the Troop process, read from here (no cost to its event loop)
      let fdsMax = 0;
      let measuring = true;
      const fdTimer = setInterval(() => {
        if (!measuring) return;
        try {
          fdsMax = Math.max(fdsMax, readdirSync(`/proc/${proc.pid}/fd`).length);
        } catch {
          // not Linux, or the child is gone
        }
      }, 500);
      const summaryMs = [];
      let summaryErrors = 0;
      proc.on("message", (m) => {
        if (m.type === "window-start") {
          log(`    N=${n}: window (${WINDOW_MS / 1000} s) …`);
          let stop = false;
          probing = (async () => {
            const url = `http://127.0.0.1:${m.port}${m.prefix}/summary`;
            const headers = { authorization: `Bearer ${m.apiToken}` };
            while (!stop) {
              const t = performance.now();
              try {
                const res = await fetch(url, { headers });
                await res.text();
                if (res.status === 200) summaryMs.push(performance.now() - t);
                else summaryErrors++;
              } catch {
                summaryErrors++;
              }
              await sleep(SUMMARY_EVERY_MS);
            }
          })();
          probing.stop = () => (stop = true);
        } else if (m.type === "window-end") {
          probing?.stop();
          measuring = false;
        } else result = m;
      });
      proc.on("error", reject);
      proc.on("exit", async (code, signal) => {
        clearInterval(fdTimer);
        probing?.stop();
        await probing;
        if (code === 0 && result && !result.error) resolve({ ...result, fdsMax, summaryP50Ms: percentile(summaryMs, 50), summaryP99Ms: percentile(summaryMs, 99), summaryCalls: summaryMs.length, summaryErrors });
        else reject(new Error(`child N=${n} failed (${signal ?? `exit ${code}`})${result?.error ? `: ${result.error}` : ""}`));
      });
    });
  } finally {
    await hub.stop();
  }
}

/** One run: every N. */
export async function measure({ log = () => undefined, points: which = POINTS, profileDir = null, cpuProfDir = null, heapDir = null } = {}) {
  const points = [];
  for (const { n, cadence, variant = "current" } of which) {
    log(`  N=${n} ${cadence} ${variant} …`);
    const load0 = loadavg()[0];
    const p = await measureOne(n, cadence, { profileDir, cpuProfDir, heapDir, variant, log });
    p.variant = variant;
    p.loadavg = [load0, loadavg()[0]];
    log(`  N=${n} ${cadence}: ${p.executionsPerSec.toFixed(0)} executions/s, lag p99 ${p.lagP99Ms.toFixed(1)} ms, CPU ${p.cpuPercent.toFixed(0)} %, RSS ${mb(p.rssMedian)} MB, /summary p99 ${p.summaryP99Ms?.toFixed(1)} ms`);
    points.push(p);
  }
  return { points, build: buildInfo(), at: new Date().toISOString() };
}

/** Markdown for several runs: every figure is the median over runs for that N. */
export function report(runs) {
  const current = (p) => (p.variant ?? "current") === "current";
  const keys = [...new Set(runs.flatMap((r) => r.points.filter(current).map((p) => `${p.cadence}:${p.n}`)))].sort((a, b) => (a.split(":")[0] === b.split(":")[0] ? Number(a.split(":")[1]) - Number(b.split(":")[1]) : a.split(":")[0] === "busy" ? -1 : 1));
  const rows = keys.map((key) => {
    const [cadence, nText] = key.split(":");
    const n = Number(nText);
    const ps = runs.flatMap((r) => r.points.filter((p) => current(p) && p.n === n && p.cadence === cadence));
    const med = (k) => median(ps.map((p) => p[k]).filter((v) => typeof v === "number"));
    const spread = (k) => {
      const xs = ps.map((p) => p[k]).filter((v) => typeof v === "number");
      return xs.length > 1 ? ` (${fix(Math.min(...xs), 0)}–${fix(Math.max(...xs), 0)})` : "";
    };
    return [
      n.toLocaleString("en-US"),
      `${cadence} (${CADENCES[cadence]})`,
      `${fix(n * offeredPerMonkey(cadence), 0)}`,
      `${fix(med("executionsPerSec"), 0)}${spread("executionsPerSec")}`,
      fix(med("iterationsPerSec"), 0),
      mb(med("rssMedian")),
      mb(med("rssMax")),
      `${fix(med("cpuPercent"), 0)}${spread("cpuPercent")}`,
      fix(med("cpuPerExecUs"), 0),
      `${fix(med("lagP99Ms"), 1)}${ps.length > 1 ? ` (${fix(Math.min(...ps.map((p) => p.lagP99Ms)), 1)}–${fix(Math.max(...ps.map((p) => p.lagP99Ms)), 1)})` : ""}`,
      `${fix(med("summaryP50Ms"), 2)} / ${fix(med("summaryP99Ms"), 2)}`,
      `${fix(med("fdsMax"), 0)} / ${ps[0].fdLimit ?? "?"}`,
      fix(med("fakeCpuPercent"), 0),
      fix(med("readyMs") / 1000, 0),
      fix(med("closeMs") / 1000, 1),
      `${ps.length}`,
    ];
  });
  const header = ["Monkeys (N)", "Cadence (execution_idle_time)", "Offered executions/s", "Executions/s (spread)", "Iterations/s", "RSS median (MB)", "RSS max (MB)", "Troop CPU % of one core (spread)", "Troop CPU µs / execution", "Event-loop delay p99 (ms) (spread)", "GET /summary p50 / p99 (ms)", "Open fds max / limit", "Fake hub CPU %", "Ramp (s)", "Shutdown (s)", "Runs"];
  const all = runs.flatMap((r) => r.points.filter(current));
  const failures = all.reduce((s, p) => s + p.failuresTotal, 0);
  const phases = {};
  for (const p of all) for (const [k, v] of Object.entries(p.failedPhases ?? {})) phases[k] = (phases[k] ?? 0) + v;
  const left = all.reduce((s, p) => s + p.labsLeft + p.tokensLeft + p.websocketsLeft, 0);
  const loads = all.flatMap((p) => p.loadavg ?? []);
  return [
    measuredLine(name, runs),
    "",
    table(header, rows),
    "",
    `- Executions/s: \`execute_request\`s answered by the fake during the ${WINDOW_MS / 1000} s window; iterations/s: Troop's success + failure counters. "Offered" is what the options ask for (25 executions \`execution_idle_time\` apart, then a new session after a 1–3 s idle); below it, Troop (or the machine) is the limit.`,
    `- CPU: \`process.cpuUsage()\` of the Troop process over the window, user + system, in % of one core (the machine has 2, shared with the fake hub and with other engineers' runs); µs per execution = that CPU time / executions. The fake hub's own CPU is shown for context.`,
    `- RSS: sampled every ${RSS_EVERY_MS / 1000} s during the window (no forced GC: this is the footprint under load). Event-loop delay: \`monitorEventLoopDelay\` (resolution ${LAG_RESOLUTION_MS} ms, subtracted) over the window.`,
    `- \`GET /summary\`: real HTTP calls from the parent process (bearer token, keep-alive), one every ${SUMMARY_EVERY_MS} ms during the window (about ${Math.round(WINDOW_MS / SUMMARY_EVERY_MS)} calls; p99 is close to the slowest).`,
    "- Open fds: the most file descriptors the Troop process held (read from /proc by the parent every 500 ms, from the start to the end of the window): one websocket per monkey plus the HTTP connections to the hub (\`HttpClient\` lets at most 256 requests per origin wait for their headers at once; before issue 9's fix there was no limit and the global \`fetch\` pool opened a connection per request in flight); past the limit, connections fail with EMFILE.",
    `- Ramp: from the PUT until every monkey is in its execute loop. Shutdown: \`container.close()\` (every monkey stops: session closed, lab deleted, token revoked).`,
    `- Failed iterations over all runs: ${failures}${Object.keys(phases).length ? ` (${Object.entries(phases).map(([k, v]) => `${v}× ${k}`).join("; ")})` : ""}; labs, tokens or websockets left on the fake after shutdown: ${left}.`,
    `- ${describeBuild(runs.map((r) => r.build))}. 1-minute load average before/after each N: ${loads.map((l) => l.toFixed(1)).join(", ")}.`,
    beforeAfter(runs),
  ].join("\n");
}

/**
 * Issue 9's targets for 10,000 monkeys: event-loop lag p99 < 50 ms, RSS < 1.5 GB, `GET /summary`
 * p99 < 20 ms, each at both cadences (busy: the issue's "short idles"; paced: one execution per
 * 10 s per monkey). A target is met only when it is met at both.
 */
export function targets(runs) {
  const at = (cadence, f) => median(runs.flatMap((r) => r.points.filter((p) => (p.variant ?? "current") === "current" && p.n === 10_000 && p.cadence === cadence)).map(f).filter((v) => typeof v === "number"));
  const row = (target, f, limit, unit, digits) => {
    const busy = at("busy", f);
    const paced = at("paced", f);
    const known = [busy, paced].filter((v) => v !== null);
    return { target, measured: `busy (${CADENCES.busy}): ${fix(busy, digits)} ${unit}; paced (${CADENCES.paced}): ${fix(paced, digits)} ${unit}`, met: known.length ? known.every((v) => v < limit) : null };
  };
  return [
    row("10,000 monkeys in one process: event-loop lag p99 under 50 ms", (p) => p.lagP99Ms, 50, "ms", 1),
    row("10,000 monkeys in one process: RSS under 1.5 GB", (p) => p.rssMax / 2 ** 20, 1536, "MB (max under load)", 0),
    row("`GET /summary` under 20 ms p99 while 10,000 monkeys run", (p) => p.summaryP99Ms, 20, "ms", 1),
  ];
}

/** Metrics of the before/after table: label, key, digits, and whether smaller is better. */
const COMPARED = [
  ["Ramp until every monkey is in its loop (s)", (p) => p.readyMs / 1000, 1],
  ["Failed iterations (ramp + window)", (p) => p.failuresTotal, 0],
  ["Executions/s", (p) => p.executionsPerSec, 0],
  ["Troop CPU % of one core", (p) => p.cpuPercent, 0],
  ["Troop CPU µs / execution", (p) => p.cpuPerExecUs, 0],
  ["RSS median (MB)", (p) => p.rssMedian / 2 ** 20, 0],
  ["Event-loop delay p99 (ms)", (p) => p.lagP99Ms, 1],
  ["Event-loop delay max (ms)", (p) => p.lagMaxMs, 1],
  ["GET /summary p50 (ms)", (p) => p.summaryP50Ms, 2],
  ["GET /summary p99 (ms)", (p) => p.summaryP99Ms, 2],
  ["Open fds max", (p) => p.fdsMax, 0],
  ["Shutdown (s)", (p) => p.closeMs / 1000, 1],
  ["Labs + tokens left on the fake after shutdown", (p) => p.labsLeft + p.tokensLeft, 0],
];

/**
 * Issue 9's fix, before and after in the same run: for every N:cadence measured with the
 * "before" variant too, medians over runs (spread), and after / before.
 */
function beforeAfter(runs) {
  const legacy = runs.flatMap((r) => r.points.filter((p) => p.variant === "before"));
  const pairs = [...new Set(legacy.map((p) => `${p.cadence}:${p.n}`))];
  if (pairs.length === 0) return "";
  const out = [];
  for (const key of pairs) {
    const [cadence, nText] = key.split(":");
    const n = Number(nText);
    const of = (variant) => runs.flatMap((r) => r.points.filter((p) => (p.variant ?? "current") === variant && p.n === n && p.cadence === cadence));
    const before = of("before");
    const after = of("current");
    const cell = (ps, f, d) => {
      const xs = ps.map(f).filter((v) => typeof v === "number" && !Number.isNaN(v));
      return xs.length > 1 ? `${fix(median(xs), d)} (${fix(Math.min(...xs), d)}–${fix(Math.max(...xs), d)})` : fix(median(xs), d);
    };
    const rows = COMPARED.map(([label, f, d]) => {
      const b = median(before.map(f).filter((v) => typeof v === "number"));
      const a = median(after.map(f).filter((v) => typeof v === "number"));
      return [label, cell(before, f, d), cell(after, f, d), b ? `${fix(a / b, 2)}×` : "—"];
    });
    out.push(
      "",
      `### Before and after issue 9's fixes: ${n.toLocaleString("en-US")} monkeys, ${cadence} (${CADENCES[cadence]})`,
      "",
      `The same build and the same run, one point after the other (fresh fake hub and Troop process each): **before** = the code before the fixes put back in the child process (point \`${n}:${cadence}:before\`, code in \`bench/legacy.mjs\`): \`SecretScrubber\` as one RegExp alternation of every secret, recompiled after each new secret; \`Business.phase\` building a \`PhaseTimeoutError\` (with its stack trace) at the start of every phase; \`HttpClient\` with no limit of requests in flight per origin; an \`AbortController\` and \`abort\` listeners per phase and per pause; \`KernelConnection\` serialising each \`execute_request\` whole and copying every inbound message through \`inboundMessageSchema\`; **after** = dist/ as built (\`src/services/secrets.ts\`: prefix index + rolling hash, linear in the text whatever the number of secrets; \`src/businesses/base.ts\`: the timeout error built only when the timer fires, one timer and no listener per phase (\`src/businesses/deadline.ts\`), the controller reused while nothing listens to it; \`src/clients/http.ts\`: at most 256 requests waiting for headers per origin, the rest in line; \`src/clients/jupyterlab/\`: \`execute_request\` from constant parts sent as one write, inbound messages checked with \`inboundEnvelopeSchema\` (no copies), frames not ours dropped before parsing). Medians over ${before.length} / ${after.length} run(s), spread in brackets.`,
      "",
      table([`${n.toLocaleString("en-US")} monkeys, ${cadence}`, "Before", "After", "After / before"], rows),
      "",
      `- 1-minute load average at the start and end of each point (the machine's 2 cores are shared with other work): before ${before.map((p) => (p.loadavg ?? []).map((l) => l.toFixed(1)).join(" → ")).join("; ")}; after ${after.map((p) => (p.loadavg ?? []).map((l) => l.toFixed(1)).join(" → ")).join("; ")}. The profiles of both processes and what they show are in docs/performance-notes.md §5 (paced) and §7 (busy).`,
    );
  }
  return out.join("\n");
}

// ---------------------------------------------------------------- helpers

/** Soft limit on open files of this process (Linux), or null. */
function fdLimit() {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    return line ? Number(line.split(/\s{2,}/)[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- entry point

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const { values } = parseArgs({ options: { child: { type: "string" }, cadence: { type: "string", default: "busy" }, variant: { type: "string", default: "current" }, hub: { type: "string" }, points: { type: "string" }, profile: { type: "string" }, "heap-profile": { type: "string" }, "cpu-prof": { type: "string" }, json: { type: "string" } } });
  if (values.child) {
    await childMain(() => {
      const n = Number(values.child);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--child needs a monkey count, got ${values.child}`);
      if (!CADENCES[values.cadence]) throw new Error(`--cadence must be one of ${Object.keys(CADENCES).join(", ")}`);
      if (!VARIANTS.includes(values.variant)) throw new Error(`--variant must be one of ${VARIANTS.join(", ")}`);
      return child(n, values.cadence, values.hub, process.env.FAKE_HUB_ADMIN_TOKEN, values.profile ?? null, values.variant, values["heap-profile"] ?? null);
    });
  } else {
    // --points 1000:busy,10000:paced,10000:paced:legacy-scrubber
    const points = values.points ? values.points.split(",").map((p) => ({ n: Number(p.split(":")[0]), cadence: p.split(":")[1] ?? "busy", variant: p.split(":")[2] ?? "current" })) : POINTS;
    const run = await measure({ log: (m) => console.error(m), points, profileDir: values.profile ?? null, cpuProfDir: values["cpu-prof"] ?? null, heapDir: values["heap-profile"] ?? null });
    run.command = commandLine();
    if (values.json) writeFileSync(values.json, JSON.stringify(run)); // to render or merge later
    for (const p of run.points) console.error(JSON.stringify({ ...p, failedPhases: p.failedPhases }));
    console.log(report([run]));
  }
}
