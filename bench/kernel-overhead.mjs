/**
 * Harness overhead on the real path: the same `print(1+1)` loop, measured in one run against a
 * real JupyterHub 3 (scripts/hub/start.sh in a temp state dir, stopped with stop.sh --rm):
 *
 *   - a minimal raw `ws` client (the floor), interleaved execution by execution with
 *   - Troop's `KernelConnection` opened through `LabClient` (dist/clients/jupyterlab/), and
 *   - Troop's full `NubladoPythonLoop` (real container, one monkey): the `execute_code` phase
 *     durations of its execution record;
 *
 * each on the stock platform and on the same platform with one change, `TCP_NODELAY` on the
 * single-user server's kernel websocket (a `jupyter_server_config.py` in that bot's home calls
 * tornado's `set_nodelay(True)` in `ZMQChannelsHandler.open`). And what the floor is made of:
 * the raw loop straight to the single-user server (bypassing configurable-http-proxy; port
 * from the hub's proxy routes API), the raw loop with Nagle on the client, a stdlib Python
 * websocket client with and without TCP_QUICKACK, and jupyter_client over ZeroMQ with
 * Debian's /usr/bin/python3 (on the hub's kernel and on a locally started ipykernel).
 *
 *   node bench/kernel-overhead.mjs              # one run, prints the tables
 *   node bench/kernel-overhead.mjs --execs 50   # quicker
 *
 * Imports from ../dist/: build first (`npx tsc -p tsconfig.build.json`). `bench/run.mjs` runs
 * this several times and writes docs/performance.md.
 * @module
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { buildInfo, describeBuild } from "./build-info.mjs";
import { commandLine, fix, measuredLine, median, newKernel, openRawKernel, percentile, request, signed, spawnUser, startRealHub, summarize, table } from "./lib.mjs";
import { startFakeHubProcess } from "./scale.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PROBE = join(HERE, "kernel_overhead_probe.py");
const PYTHON = "/usr/bin/python3";
const run = promisify(execFile);

/** Executions measured per series (after WARMUP). */
let EXECS = 200;
const WARMUP = 20;
const CODE = "print(1+1)";
/** Bot users (one single-user server each); the flock's monkey is `${prefix}1`, so its server is spawned by us first. */
const PREFIX = { stock: "bot-kbench-stock", nodelay: "bot-kbench-nodelay", fake: "bot-kbench-fake" };
/** Raw and Troop run in alternating blocks of BLOCK executions (each after BLOCK_WARMUP), back to back like a monkey's loop. */
const BLOCK = 50;
const BLOCK_WARMUP = 5;
/** Cadence series: the raw client with pauses between executions (mobu's default execution_idle_time is 1 s). */
const GAPS = [
  { ms: 100, execs: 30 },
  { ms: 1000, execs: 12 },
];
/** Temp state dirs use test/support/real-hub.ts's prefix + owner.pid, so a killed run is swept by the tests. */

/** The only platform change measured: TCP_NODELAY on the kernel websocket (jupyter_server never sets it). */
const NODELAY_SERVER_CONFIG = `# bench/kernel-overhead.mjs: the kernel websocket with TCP_NODELAY (jupyter_server leaves
# Nagle on; tornado's WebSocketHandler.set_nodelay docstring recommends it for small messages)
from jupyter_server.services.kernels.handlers import ZMQChannelsHandler
_open = ZMQChannelsHandler.open
def _open_nodelay(self, *args, **kwargs):
    self.set_nodelay(True)
    return _open(self, *args, **kwargs)
ZMQChannelsHandler.open = _open_nodelay
`;

export const name = "kernel-overhead";
export const title = "Kernel execute latency: Troop vs the floor (real JupyterHub)";
export const description = `The same \`${CODE}\` loop (${WARMUP} warm-up executions, then ${EXECS} measured per series; one execution = \`execute_request\` sent until both \`execute_reply\` and \`status: idle\` are in) against the project's real JupyterHub 3.0 (Debian bookworm: jupyter_server 1.23, tornado 6.2, ipykernel 6.17, configurable-http-proxy 4.5) on 127.0.0.1, started by \`scripts/hub/start.sh\` in a temp state dir for each run. Raw \`ws\` client and Troop's \`KernelConnection\` (through \`LabClient\`, as \`LabBusiness\` opens it) run on two kernels of the same single-user server, in alternating blocks of ${BLOCK} back-to-back executions (each block after ${BLOCK_WARMUP} warm-up ones); then \`NubladoPythonLoop\` runs in the real container on that same server (one monkey, \`max_executions: ${WARMUP + EXECS}\`, \`execution_idle_time: 0\`), its \`execute_code\` phases read from its execution record.`;

// ---------------------------------------------------------------- the hub

// ---------------------------------------------------------------- clients

/** Troop's client: LabClient → KernelConnection, exactly as LabBusiness opens it (a session, then the websocket). */
async function openTroop(dist, base, token, username) {
  const lab = new dist.LabClient(new dist.HttpClient("troop-bench"), base, { headers: () => ({ authorization: `token ${token}` }) });
  const signal = AbortSignal.timeout(60_000);
  const session = await lab.createSession({ name: `kernel-overhead-${randomUUID().slice(0, 8)}`, kernelName: "python3", signal });
  const kernel = await lab.openKernel({ kernelId: session.kernelId, username, maxPayload: null, signal });
  return {
    execute: (code) => kernel.execute(code, AbortSignal.timeout(30_000)),
    close: async () => {
      kernel.close();
      await lab.deleteSession(session.id, AbortSignal.timeout(30_000));
    },
  };
}

async function timeLoop(client, n) {
  for (let i = 0; i < WARMUP; i++) await client.execute(CODE);
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await client.execute(CODE);
    ms.push(performance.now() - t);
  }
  return ms;
}

/**
 * Raw and Troop in alternating blocks (raw first in even blocks, Troop first in odd ones), each
 * block back to back after a short warm-up. Not interleaved execution by execution: a
 * connection idle for longer than the delayed-ACK timeout while the other one runs leaves
 * Linux's "interactive" ACK mode, which turns the stock path bimodal (~5 or ~45 ms).
 */
async function timeBlocks(a, b, n) {
  for (let i = 0; i < WARMUP; i++) {
    await a.execute(CODE);
    await b.execute(CODE);
  }
  const ms = [[], []];
  const clients = [a, b];
  const blockMedians = [[], []];
  for (let k = 0; k * BLOCK < n; k++) {
    for (const j of k % 2 ? [1, 0] : [0, 1]) {
      for (let i = 0; i < BLOCK_WARMUP; i++) await clients[j].execute(CODE);
      const block = [];
      for (let i = 0; i < Math.min(BLOCK, n - k * BLOCK); i++) {
        const t = performance.now();
        await clients[j].execute(CODE);
        block.push(performance.now() - t);
      }
      ms[j].push(...block);
      blockMedians[j].push(percentile(block, 50));
    }
  }
  return { ms, blockMedians };
}

/** The raw client with a pause between executions. */
async function timeWithGaps(client, gapMs, n) {
  for (let i = 0; i < 3; i++) await client.execute(CODE);
  const ms = [];
  for (let i = 0; i < n; i++) {
    await sleep(gapMs);
    const t = performance.now();
    await client.execute(CODE);
    ms.push(performance.now() - t);
  }
  return ms;
}

async function probe(args, env = {}) {
  const { stdout } = await run(PYTHON, [PROBE, ...args], { env: { ...process.env, ...env, PYDEVD_DISABLE_FILE_VALIDATION: "1" }, timeout: 600_000, maxBuffer: 16 << 20 });
  return JSON.parse(stdout.trim().split("\n").at(-1)).ms;
}

// ---------------------------------------------------------------- Troop's own loop

/** The real container (jupyterhub hub type), built once per run. */
async function troopContainer(dist, hub) {
  const dir = mkdtempSync(join(tmpdir(), "troop-bench-"));
  const text = JSON.stringify({ hub: { type: "jupyterhub", url: hub.url, adminToken: hub.adminToken }, apiToken: randomBytes(16).toString("hex"), database: join(dir, "troop.sqlite"), logLevel: "error" });
  const { config } = dist.loadConfigText(text, "bench-config", {});
  const container = await dist.buildContainer(config, { logDestination: process.stderr });
  await container.manager.startup();
  return {
    container,
    async close() {
      await container.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One NubladoPythonLoop monkey, user `${prefix}1` whose server is already running (so the
 * monkey logs in, finds its lab and opens a session on it: no spawn). Returns the measured
 * `execute_code` durations of its first iteration; the flock is then deleted (lab stopped).
 */
async function troopLoop(container, prefix) {
  const { manager } = container;
  const flockName = `kernel-overhead-${prefix.replace(/^bot-/, "")}`;
  await manager.putFlock({
    name: flockName,
    count: 1,
    user_spec: { username_prefix: prefix },
    business: {
      type: "NubladoPythonLoop",
      options: { code: CODE, max_executions: WARMUP + EXECS, execution_idle_time: 0, idle_time: "1h", spawn_settle_time: 0, delete_lab: false, jupyter_timeout: "60s", execution_timeout: "30s", kernel_name: "python3" },
    },
  });
  try {
    const end = Date.now() + 300_000;
    let record = null;
    for (;;) {
      record = manager.getFlock(flockName).listMonkeys()[0].data().last_execution;
      if (record) break;
      if (Date.now() > end) throw new Error("NubladoPythonLoop did not finish an iteration in 300 s");
      await sleep(100);
    }
    if (record.result !== "success") throw new Error(`NubladoPythonLoop iteration failed: ${JSON.stringify(record.error)}`);
    if (record.phases.some((p) => p.name === "spawn_lab")) throw new Error("the monkey spawned a lab: it should have found the running one");
    const execs = record.phases.filter((p) => p.name === "execute_code").map((p) => p.duration_ms);
    if (execs.length !== WARMUP + EXECS) throw new Error(`expected ${WARMUP + EXECS} execute_code phases, got ${execs.length}`);
    return execs.slice(WARMUP);
  } finally {
    await manager.deleteFlock(flockName);
  }
}

// ---------------------------------------------------------------- one run

export async function measure({ log = () => undefined } = {}) {
  const dist = {
    ...(await import("../dist/clients/jupyterlab/lab-client.js")),
    ...(await import("../dist/clients/http.js")),
    ...(await import("../dist/container.js")),
    ...(await import("../dist/config/load.js")),
  };
  const load = [loadavg()[0]];
  const t0 = performance.now();
  log("  starting a JupyterHub …");
  const hub = await startRealHub();
  const series = {};
  const stat = (key, ms) => (series[key] = summarize(ms));
  let troop = null;
  let fake = null;
  let fakeTroop = null;
  try {
    troop = await troopContainer(dist, hub);
    for (const variant of ["stock", "nodelay"]) {
      const user = await spawnUser(hub, `${PREFIX[variant]}1`, variant === "nodelay" ? NODELAY_SERVER_CONFIG : null);
      log(`  ${variant}: raw ws and Troop's KernelConnection, alternating blocks of ${BLOCK} …`);
      const kRaw = await newKernel(user);
      const raw = await openRawKernel(user.proxied, user.token, kRaw);
      const kc = await openTroop(dist, user.proxied, user.token, user.username);
      const { ms: [rawMs, troopMs], blockMedians } = await timeBlocks(raw, kc, EXECS);
      await kc.close();
      stat(`${variant}.raw`, rawMs);
      stat(`${variant}.troop`, troopMs);
      series[`${variant}.blockMedians`] = blockMedians;

      if (variant === "stock") {
        for (const gap of GAPS) {
          log(`  stock: raw ws, ${gap.ms} ms between executions …`);
          stat(`stock.gap${gap.ms}`, await timeWithGaps(raw, gap.ms, gap.execs));
        }
      }
      raw.close();

      log(`  ${variant}: raw ws straight to the single-user server …`);
      const direct = await openRawKernel(user.direct, user.token, kRaw);
      stat(`${variant}.direct`, await timeLoop(direct, EXECS));
      direct.close();

      if (variant === "stock") {
        log("  stock: raw ws with Nagle on the client …");
        const nagle = await openRawKernel(user.proxied, user.token, kRaw, { noDelay: false });
        stat("stock.clientNagle", await timeLoop(nagle, EXECS));
        nagle.close();
        for (const [key, base, quickack] of [["pyProxy", user.proxied, "0"], ["pyProxyQuickack", user.proxied, "1"], ["pyDirect", user.direct, "0"], ["pyDirectQuickack", user.direct, "1"]]) {
          log(`  stock: Python stdlib websocket client (${key}) …`);
          const wsUrl = `${base.replace(/^http/, "ws")}api/kernels/${kRaw}/channels`;
          stat(`stock.${key}`, await probe(["ws", String(EXECS), wsUrl, quickack], { PROBE_TOKEN: user.token }));
        }
        log("  jupyter_client over ZeroMQ on the hub's kernel …");
        const connFile = join(hub.stateDir, "users", user.username, ".local", "share", "jupyter", "runtime", `kernel-${kRaw}.json`);
        stat("zmq.hubKernel", await probe(["zmq", String(EXECS), connFile]));
      }
      await request(`${user.proxied}api/kernels/${kRaw}`, user.token, { method: "DELETE", expect: [204, 404] });

      log(`  ${variant}: NubladoPythonLoop (real container, one monkey) on the same server …`);
      stat(`${variant}.loop`, await troopLoop(troop.container, PREFIX[variant]));
    }
    log("  jupyter_client over ZeroMQ on a local ipykernel …");
    stat("zmq.local", await probe(["zmq", String(EXECS)]));

    // Client cost alone: the same three clients against bench/fake-hub.mjs, which answers at once.
    log("  fake lab: raw ws, Troop's KernelConnection and NubladoPythonLoop …");
    fake = await startFakeHubProcess();
    const fakeHub = { url: fake.url, api: `${fake.url}/hub/api`, adminToken: fake.adminToken, fake: true };
    const user = await spawnUser(fakeHub, `${PREFIX.fake}1`, null);
    const raw = await openRawKernel(user.proxied, user.token, await newKernel(user));
    const kc = await openTroop(dist, user.proxied, user.token, user.username);
    const { ms: [rawMs, troopMs] } = await timeBlocks(raw, kc, EXECS);
    raw.close();
    await kc.close();
    stat("fake.raw", rawMs);
    stat("fake.troop", troopMs);
    fakeTroop = await troopContainer(dist, fakeHub);
    stat("fake.loop", await troopLoop(fakeTroop.container, PREFIX.fake));
  } finally {
    await troop?.close().catch((err) => log(`  container close failed: ${err.message}`));
    await fakeTroop?.close().catch((err) => log(`  container close failed: ${err.message}`));
    await fake?.stop();
    log("  stopping the hub …");
    await hub.stop().catch((err) => log(`  stop.sh failed: ${err.message}`));
    rmSync(hub.stateDir, { recursive: true, force: true });
  }
  for (const v of ["stock", "nodelay", "fake"]) {
    const r = series[`${v}.raw`];
    for (const c of ["troop", "loop"]) {
      const x = series[`${v}.${c}`];
      if (!r || !x) continue;
      series[`${v}.${c}MinusRaw`] = x.median - r.median;
      series[`${v}.${c}OverRaw`] = x.median / r.median;
      series[`${v}.${c}MinusRawMean`] = x.mean - r.mean;
      series[`${v}.${c}OverRawMean`] = x.mean / r.mean;
    }
  }
  load.push(loadavg()[0]);
  return { execs: EXECS, series, loadavg: load, seconds: (performance.now() - t0) / 1000, build: buildInfo(), at: new Date().toISOString() };
}

// ---------------------------------------------------------------- report

const ROWS_SAME_PATH = ["stock", "nodelay", "fake"].flatMap((v) => [
  [v, "raw", "raw `ws` client (the floor)"],
  [v, "troop", "Troop `KernelConnection` via `LabClient`"],
  [v, "loop", "Troop `NubladoPythonLoop`, `execute_code` phase"],
]);
const PATH_LABEL = {
  stock: "real hub, stock: client → configurable-http-proxy → jupyter_server websocket → ZeroMQ → ipykernel",
  nodelay: "real hub, same path with `TCP_NODELAY` on the server's kernel websocket (one `set_nodelay(True)`)",
  fake: "`bench/fake-hub.mjs` (answers at once: the clients' own cost)",
};
const ROWS_FLOOR = [
  ["stock.raw", "Node `ws`, through the proxy (the floor above)"],
  ["stock.direct", "Node `ws`, straight to the single-user server (no proxy)"],
  ["stock.clientNagle", "Node `ws`, through the proxy, client `setNoDelay(false)`"],
  ["stock.pyProxy", "Python stdlib websocket, through the proxy"],
  ["stock.pyProxyQuickack", "Python stdlib websocket, through the proxy, client `TCP_QUICKACK`"],
  ["stock.pyDirect", "Python stdlib websocket, straight to the server"],
  ["stock.pyDirectQuickack", "Python stdlib websocket, straight to the server, client `TCP_QUICKACK`"],
  ["nodelay.raw", "Node `ws`, through the proxy, server `TCP_NODELAY`"],
  ["nodelay.direct", "Node `ws`, straight to the server, server `TCP_NODELAY`"],
  ["stock.gap100", "Node `ws`, through the proxy, 100 ms pause between executions"],
  ["stock.gap1000", "Node `ws`, through the proxy, 1 s pause between executions (mobu's default `execution_idle_time`)"],
  ["zmq.hubKernel", "`jupyter_client` over ZeroMQ, the hub's kernel (no server, no websocket)"],
  ["zmq.local", "`jupyter_client` over ZeroMQ, a locally started ipykernel"],
];

export function report(runs) {
  const s = (key, field) => runs.map((r) => (field ? r.series[key]?.[field] : r.series[key])).filter((v) => typeof v === "number");
  const spread = (xs) => (xs.length > 1 ? `${fix(Math.min(...xs), 2)}–${fix(Math.max(...xs), 2)}` : "—");
  const sameRows = ROWS_SAME_PATH.map(([variant, client, label]) => {
    const key = `${variant}.${client}`;
    const med = s(key, "median");
    // The loop's phase durations are whole milliseconds: below a few ms their median is quantisation, not a figure.
    const cmp = client !== "raw";
    const quantised = client === "loop" && (median(med) ?? 0) < 5;
    const byMedian = (cell) => (quantised ? "— (whole ms)" : cell);
    return [
      client === "raw" ? PATH_LABEL[variant] : "″",
      label,
      byMedian(fix(median(med), 2)),
      fix(median(s(key, "p95")), 2),
      fix(median(s(key, "mean")), 3),
      byMedian(spread(med)),
      cmp ? byMedian(signed(median(s(`${key}MinusRaw`)))) : "—",
      cmp ? byMedian(`${fix(median(s(`${key}OverRaw`)), 3)}×`) : "—",
      cmp ? signed(median(s(`${key}MinusRawMean`)), 3) : "—",
      cmp ? `${fix(median(s(`${key}OverRawMean`)), 3)}×` : "—",
    ];
  });
  const floorRows = ROWS_FLOOR.map(([key, label]) => [label, fix(median(s(key, "median")), 2), fix(median(s(key, "p95")), 2), fix(median(s(key, "min")), 2), spread(s(key, "median"))]);
  const loads = runs.flatMap((r) => r.loadavg);
  return [
    measuredLine(name, runs),
    "",
    table(["Path", "Client", "Median (ms)", "p95 (ms)", "Mean (ms)", "Median, spread over runs (ms)", "− raw, medians (ms)", "/ raw, medians", "− raw, means (ms)", "/ raw, means"], sameRows, 2),
    "",
    "What the floor is made of (same run, same hub; the Python clients use Debian's /usr/bin/python3):",
    "",
    table(["Client and path", "Median (ms)", "p95 (ms)", "Min (ms)", "Median, spread over runs (ms)"], floorRows),
    "",
    "- Every figure is the median over the runs of that run's median (or p95, mean, min). The differences and ratios to the raw client are computed within each run (same server, same minute), then their median over runs taken.",
    "- `NubladoPythonLoop` phase durations come from its execution record (`Date.now()`: whole milliseconds, so its median is quantised — not shown where it is under 5 ms —; its mean is not biased) and include the phase machinery (time limit, abort wiring, record). The monkey runs on the same single-user server as the raw and Troop series (spawned by the bench as that bot user; the monkey logs in, finds its lab running and opens its own session), right after them.",
    "- Why ~45 ms: jupyter_server never sets `TCP_NODELAY` on the kernel websocket (tornado turns Nagle back on after the HTTP upgrade), so every frame written while an earlier one is unacknowledged waits for the peer's delayed ACK (Linux: 40 ms minimum); through the proxy the peer is configurable-http-proxy, not the client. Back to back executions pay it; executions ≥ 1 s apart mostly do not (the ACK is no longer delayed). See docs/performance-notes.md for the evidence.",
    `- ${describeBuild(runs.map((r) => r.build))}. 1-minute load average at the start and end of each run: ${loads.map((l) => l.toFixed(2)).join(", ")} (2 cores shared with other engineers' test runs). Runs: ${runs.length}, ${runs[0]?.execs} measured executions per series per run.`,
  ].join("\n");
}

/** Issue 9's target for the kernel client: within 1 ms (median) of the raw client on the same path. */
export function targets(runs) {
  const s = (key) => runs.map((r) => r.series[`${key}MinusRaw`]).filter((v) => typeof v === "number");
  const stock = median(s("stock.troop"));
  const nodelay = median(s("nodelay.troop"));
  const fake = median(s("fake.troop"));
  const worst = Math.max(...[stock, nodelay, fake].filter((v) => v !== null));
  return [
    {
      target: "Troop's kernel client within 1 ms (median) of the raw client on the same path",
      measured: `Troop \`KernelConnection\` − raw \`ws\`, medians: ${signed(stock)} ms on the real hub (stock), ${signed(nodelay)} ms with the server's \`TCP_NODELAY\`, ${signed(fake)} ms on the instant fake hub`,
      met: Number.isFinite(worst) ? worst <= 1 : null,
    },
  ];
}

// ---------------------------------------------------------------- entry point

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const i = process.argv.indexOf("--execs");
  if (i >= 0) EXECS = Number(process.argv[i + 1]);
  const result = await measure({ log: (m) => console.error(m) });
  result.command = commandLine();
  console.error(JSON.stringify(result.series, null, 1));
  console.log(report([result]));
}
