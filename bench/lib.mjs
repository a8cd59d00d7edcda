/**
 * Helpers shared by the benchmarks: statistics (nearest-rank percentiles, medians), number
 * formatting and markdown tables, the machine description, the "measured when and by which
 * command" line, a benchmark child process's entry point, merging docs/performance.md, and the real JupyterHub of
 * scripts/hub/start.sh (start, REST calls, a bot with a running server, a minimal raw kernel
 * websocket client: the floor every Troop figure is compared with).
 * @module
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import WebSocket from "ws";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const HUB_SCRIPTS = join(ROOT, "scripts", "hub");
const run = promisify(execFile);

// ---------------------------------------------------------------- statistics and formatting

/** Nearest-rank percentile (median of an even count: mean of the two middle values); null when empty. */
export function percentile(xs, p) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  if (p === 50) {
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  }
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function median(xs) {
  return percentile(xs, 50);
}

/** n, median, p95, min, max and mean of a list of milliseconds. */
export function summarize(ms) {
  return { n: ms.length, median: percentile(ms, 50), p95: percentile(ms, 95), min: Math.min(...ms), max: Math.max(...ms), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

/** A number with `digits` decimals, "—" for none. */
export function fix(v, digits) {
  return v === null || v === undefined || Number.isNaN(v) ? "—" : v.toFixed(digits);
}

/** A difference with its sign ("+0.12", "−0.03"). */
export function signed(v, digits = 2) {
  return v === null || v === undefined ? "—" : `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;
}

/** Bytes as whole MiB, "—" for none. */
export function mb(bytes) {
  return bytes === null || bytes === undefined ? "—" : (bytes / 2 ** 20).toFixed(0);
}

/** A markdown table; the first `textColumns` columns are left-aligned, the others right-aligned. */
export function table(header, rows, textColumns = 1) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i < textColumns ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

/**
 * "Measured <first> to <last> by `<command>` (n runs)." from runs carrying `at` (and `command`
 * when a script was run by hand: see `commandLine`; otherwise `node bench/run.mjs --only <name>`).
 */
export function measuredLine(name, runs) {
  const dates = runs.map((r) => r.at).filter(Boolean).sort();
  const day = (d) => d.replace(/\.\d+Z$/, "Z");
  const commands = [...new Set(runs.map((r) => r.command ?? `node bench/run.mjs --only ${name}`))];
  return `Measured ${dates.length ? `${day(dates[0])}${dates.length > 1 ? ` to ${day(dates.at(-1))}` : ""}` : "(date unknown)"} by ${commands.map((c) => `\`${c}\``).join(" and ")} (${runs.length} run${runs.length > 1 ? "s" : ""}).`;
}

/** This process's command line, relative to the repository (for a script run by hand). */
export function commandLine() {
  return ["node", ...process.argv.slice(1).map((a) => (a.startsWith(`${ROOT}/`) ? a.slice(ROOT.length + 1) : a))].join(" ");
}

/** The machine, as markdown list items. */
export function machineDescription() {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model.trim() ?? "unknown"} × ${cpus.length} (os.cpus())`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node.js: ${process.version} (V8 ${process.versions.v8})`,
    `- OS: ${os.type()} ${os.release()} ${os.arch()}${typeof os.version === "function" ? ` (${os.version()})` : ""}`,
  ];
}

// ---------------------------------------------------------------- child processes

/**
 * Entry point of a benchmark's child process: run `fn`, send its result (or `{ error }`) to the
 * parent over IPC (or print it when run by hand), exit 1 on error.
 */
export async function childMain(fn) {
  let message;
  try {
    message = await fn();
  } catch (err) {
    message = { error: err.stack ?? String(err) };
  }
  const code = message.error ? 1 : 0;
  if (process.send) process.send(message, () => process.exit(code));
  else {
    (code ? console.error : console.log)(message.error ?? JSON.stringify(message, null, 2));
    process.exit(code);
  }
}

// ---------------------------------------------------------------- the real JupyterHub

/** Prefix of temp hub state dirs (the test suite's sweeper stops those whose owner.pid is gone). */
const TEMP_PREFIX = "troop-hub-";
/** Variables describing one particular hub (e.g. from a sourced peer.env): never passed on. */
const HUB_VARS = ["JH_URL", "JH_API", "JH_ADMIN_TOKEN", "JH_PID", "JH_PROXY_PID", "JH_LOG", "JH_PORT", "JH_LOG_DIR", "TROOP_HUB_STATE"];

async function hubScript(script, args, stateDir) {
  // Kernels over TCP, as most hubs run them (the tests' default is Unix sockets): the figures
  // describe the usual platform path, and the ZeroMQ probe reads the kernel's usual connection file.
  const env = { ...process.env, JH_STATE_DIR: stateDir, JH_KERNEL_TRANSPORT: "tcp" };
  for (const k of HUB_VARS) delete env[k];
  const { stdout } = await run(join(HUB_SCRIPTS, script), args, { env, timeout: 180_000 });
  return stdout;
}

/** Start a real JupyterHub (scripts/hub/start.sh, Debian packages, 127.0.0.1) in a temp state dir; `stop()` removes it. */
export async function startRealHub() {
  const stateDir = mkdtempSync(join(os.tmpdir(), TEMP_PREFIX));
  writeFileSync(join(stateDir, "owner.pid"), `${process.pid}\n`);
  const out = await hubScript("start.sh", [], stateDir);
  const env = Object.fromEntries(out.split("\n").map((l) => /^([A-Z_]+)=(.*)$/.exec(l)).filter(Boolean).map((m) => [m[1], m[2]]));
  if (!env.JH_URL || !env.JH_ADMIN_TOKEN) throw new Error(`start.sh printed no JH_URL/JH_ADMIN_TOKEN:\n${out}`);
  return { stateDir, url: env.JH_URL, api: env.JH_API, adminToken: env.JH_ADMIN_TOKEN, stop: () => hubScript("stop.sh", [stateDir, "--rm"], stateDir) };
}

/** One REST call with a token; parsed JSON (null for an empty body); throws unless the status is ok or in `expect`. */
export async function request(url, token, { method = "GET", json, expect } = {}) {
  const res = await fetch(url, { method, headers: { authorization: `token ${token}`, ...(json === undefined ? {} : { "content-type": "application/json" }) }, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  if (expect ? !expect.includes(res.status) : !res.ok) throw new Error(`${method} ${url.replace(/\?.*/, "")}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Create the bot user, mint its token, spawn its server (optionally with a server config in its home) and wait until ready. */
export async function spawnUser(hub, username, serverConfig) {
  if (serverConfig) {
    const dir = join(hub.stateDir, "users", username, ".jupyter");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "jupyter_server_config.py"), serverConfig);
  }
  await request(`${hub.api}/users/${username}`, hub.adminToken, { method: "POST", expect: [201, 409] });
  const { token } = await request(`${hub.api}/users/${username}/tokens`, hub.adminToken, { method: "POST", json: { note: "troop bench", expires_in: 3600 } });
  await request(`${hub.api}/users/${username}/server`, token, { method: "POST", json: {}, expect: [201, 202] });
  const end = Date.now() + 60_000;
  for (;;) {
    const user = await request(`${hub.api}/users/${username}`, token);
    if (user.servers?.[""]?.ready) break;
    if (Date.now() > end) throw new Error(`server of ${username} not ready after 60 s`);
    await sleep(100);
  }
  if (hub.fake) return { username, token, proxied: `${hub.url}/user/${username}/`, direct: null };
  const routes = await request(`${hub.api}/proxy`, hub.adminToken);
  const route = routes[`/user/${username}/`];
  if (!route) throw new Error(`no proxy route for ${username}`);
  return { username, token, proxied: `${hub.url}/user/${username}/`, direct: `${route.target}/user/${username}/` };
}

/** A new kernel on the user's server; its id. */
export async function newKernel(user, name = "python3") {
  const k = await request(`${user.proxied}api/kernels`, user.token, { method: "POST", json: { name } });
  return k.id;
}

/**
 * The floor: a minimal `ws` kernel client. Nothing but JSON.parse and a msg_id match per
 * message; `execute(code)` resolves once both `execute_reply` and `status: idle` are in, with
 * the reply's status ("ok" or "error").
 */
export async function openRawKernel(base, token, kernelId, { noDelay = true } = {}) {
  const url = `${base.replace(/^http/, "ws")}api/kernels/${kernelId}/channels?session_id=${randomUUID()}`;
  const ws = new WebSocket(url, { headers: { authorization: `token ${token}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("unexpected-response", (_q, res) => reject(new Error(`websocket refused: HTTP ${res.statusCode}`)));
  });
  ws._socket.setNoDelay(noDelay); // ws sets TCP_NODELAY on its socket; a variant may turn it off
  const session = randomUUID();
  let pending = null;
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString());
    if (!pending || m.parent_header?.msg_id !== pending.id) return;
    const t = m.header.msg_type;
    if (t === "execute_reply") pending.replied = m.content.status;
    else if (t === "status" && m.content.execution_state === "idle") pending.idle = true;
    if (pending.replied && pending.idle) {
      const p = pending;
      pending = null;
      p.resolve(p.replied);
    }
  });
  return {
    execute(code) {
      const id = randomUUID();
      return new Promise((resolve) => {
        pending = { id, resolve, replied: null, idle: false };
        ws.send(JSON.stringify({ header: { msg_id: id, username: "bench", session, msg_type: "execute_request", version: "5.3", date: new Date().toISOString() }, parent_header: {}, metadata: {}, channel: "shell", buffers: [], content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true } }));
      });
    },
    close: () => ws.close(),
  };
}

// ---------------------------------------------------------------- docs/performance.md

/**
 * The page's "Targets" section: one row per goal of issue 9, `{ target, measured, met }` with
 * `met` true, false or null (reported, no verdict), each computed by its benchmark's `targets(runs)`.
 */
export function targetsSection(rows) {
  const verdict = (met) => (met === true ? "met" : met === false ? "**not met**" : "reported");
  return [
    "## Targets",
    "",
    "Issue 9's goals against the figures of the sections below (medians over their runs), computed by `bench/run.mjs` from the runs saved in `bench/results/`; the analysis behind each is in docs/performance-notes.md.",
    "",
    table(["Target", "Measured", "Verdict"], rows.map((r) => [r.target, r.measured, verdict(r.met)]), 3),
    "",
  ].join("\n");
}

/** A page split at its `## ` headings: the text before the first one, and each section by title. */
function splitSections(page) {
  const parts = page.split(/^(?=## )/m);
  const preamble = parts[0].startsWith("## ") ? "" : parts.shift();
  return { preamble, sections: new Map(parts.map((p) => [p.slice(3, p.indexOf("\n")).trim(), p.replace(/\n*$/, "\n")])) };
}

/**
 * `bench/run.mjs --merge`: the new page's preamble and "Machine", then one section per benchmark
 * title in order — the newly measured one, else the one of the old page — then any other old
 * section. The Command line names the command that merged, and says that the other sections keep
 * their own date and command.
 */
export function mergeSections(oldPage, newPage, titles, command) {
  const old = splitSections(oldPage);
  const fresh = splitSections(newPage);
  const preamble = fresh.preamble.replace(/^- Command: .*$/m, `- Command: \`${command}\`; the sections it did not measure are kept from the previous page, each with the date and command of its own measurement`);
  const order = ["Machine", ...titles];
  const out = [];
  for (const t of order) {
    const s = fresh.sections.get(t) ?? old.sections.get(t);
    if (s) out.push(s);
  }
  for (const [t, s] of old.sections) if (!order.includes(t)) out.push(s);
  return `${preamble.replace(/\n*$/, "\n\n")}${out.join("\n")}`;
}
