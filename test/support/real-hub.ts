/**
 * Purpose: start/stop a REAL JupyterHub (Debian packages, 127.0.0.1) from tests by running
 * scripts/hub/start.sh and stop.sh and parsing their KEY=VALUE output. A stopped hub can be
 * started again in place: same URL, same admin token, same sqlite db.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sweepStale } from "./stale-state.js";

const run = promisify(execFile);
const HUB_SCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../scripts/hub");
/** Prefix of the temp state dirs made here and in global-setup (swept when their owner died). */
export const TEMP_PREFIX = "troop-hub-";

export interface RealHub {
  url: string; // public URL, e.g. http://127.0.0.1:40787
  apiUrl: string; // `${url}/hub/api`
  adminToken: string;
  stateDir: string;
  /** The latest KEY=VALUE output of start.sh (JH_PID, JH_PROXY_PID, JH_LOG, ...). */
  env: Record<string, string>;
  /** Stop hub, proxy, servers and kernels; keep the state unless rm. */
  stop(opts?: { rm?: boolean }): Promise<void>;
  /** Start again in place after stop(): same port and token. */
  start(): Promise<void>;
  /** GET `${apiUrl}${path}` as the admin service; parsed JSON, throws on a non-2xx status. */
  adminGet(path: string): Promise<any>;
  /** Any method as the admin service; parsed JSON (null for an empty body), throws on non-2xx. */
  adminRequest(method: string, path: string, body?: unknown): Promise<any>;
}

/** Variables describing one particular hub (e.g. from a sourced peer.env): never passed on. */
const HUB_VARS = ["JH_URL", "JH_API", "JH_ADMIN_TOKEN", "JH_PID", "JH_PROXY_PID", "JH_LOG", "JH_PORT", "JH_LOG_DIR", "TROOP_HUB_STATE"];

/** Run a hub script for stateDir; JH_CHP, JH_NO_APT, JH_LOG_LEVEL pass through. */
async function script(name: string, args: string[], stateDir: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, JH_STATE_DIR: stateDir };
  for (const k of HUB_VARS) delete env[k];
  try {
    const { stdout } = await run(join(HUB_SCRIPTS, name), args, { env, timeout: 180_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${name} ${args.join(" ")} failed: ${err.message}\n${err.stderr ?? ""}`.trim());
  }
}

function parseEnv(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  for (const k of ["JH_URL", "JH_API", "JH_ADMIN_TOKEN", "JH_STATE_DIR"]) {
    if (!env[k]) throw new Error(`start.sh printed no ${k}:\n${stdout}`);
  }
  return env;
}

/** Start (or reuse) a hub. Without stateDir, a fresh temp dir owned by this process is used. */
export async function startRealHub(opts: { stateDir?: string; port?: number } = {}): Promise<RealHub> {
  let stateDir = opts.stateDir;
  if (!stateDir) {
    stateDir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
    writeFileSync(join(stateDir, "owner.pid"), `${process.pid}\n`);
  }
  const dir = stateDir;
  const hub: RealHub = {
    url: "", apiUrl: "", adminToken: "", stateDir: dir, env: {},
    async start() {
      const env = parseEnv(await script("start.sh", opts.port ? [String(opts.port)] : [], dir));
      Object.assign(hub, { env, url: env.JH_URL, apiUrl: env.JH_API, adminToken: env.JH_ADMIN_TOKEN, stateDir: env.JH_STATE_DIR });
    },
    async stop(o = {}) {
      await script("stop.sh", o.rm ? [dir, "--rm"] : [dir], dir);
    },
    adminGet: (path) => hub.adminRequest("GET", path),
    async adminRequest(method, path, body) {
      const url = /^https?:/.test(path) ? path : `${hub.apiUrl}${path}`;
      const res = await fetch(url, {
        method,
        headers: { authorization: `token ${hub.adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : null;
    },
  };
  await hub.start();
  return hub;
}

/**
 * Stop and remove temp hubs (TEMP_PREFIX* in os.tmpdir()) whose owner process is gone, e.g.
 * after a test run was killed. Hubs of live runs (another terminal) are left alone.
 */
export async function sweepStaleHubs(): Promise<void> {
  await sweepStale(TEMP_PREFIX, (dir) => script("stop.sh", [dir, "--rm"], dir));
}
