/**
 * Purpose: start/stop a REAL TAP + SIA server (GAVO DaCHS on a private PostgreSQL, loopback) from
 * a test file by running scripts/tap/start.sh and stop.sh. Each test file that needs it starts
 * its own in a fresh temp state dir (about 10 s cold on 2 cores) and removes it afterwards, so
 * only the files that query TAP pay for it (a second `provide()` in global-setup would make the
 * whole suite wait for DaCHS and hold its ~270 MB). TROOP_TEST_NO_TAP=1 skips those files.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sweepStale } from "./stale-state.js";

const run = promisify(execFile);
const TAP_SCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../scripts/tap");
/** Prefix of the temp state dirs made here (swept when their owner process died). */
export const TAP_TEMP_PREFIX = "troop-tap-";

/** True when the real TAP tests are to be skipped. */
export const NO_TAP = process.env.TROOP_TEST_NO_TAP === "1";

export interface RealTap {
  /** TAP base URL, e.g. http://127.0.0.1:40123/tap */
  tapUrl: string;
  /** DaCHS's site-wide SIAv2 query endpoint. */
  siaUrl: string;
  /** Server root (for job URLs and the like). */
  baseUrl: string;
  stateDir: string;
  /** The latest KEY=VALUE output of start.sh (TAP_PID, PG_PID, PG_PORT, ...). */
  env: Record<string, string>;
  /** Stop DaCHS and PostgreSQL; remove the state dir unless `rm: false`. */
  stop(opts?: { rm?: boolean }): Promise<void>;
  /** start.sh again on the same state dir (reuses a running server, restarts a stopped one). */
  start(): Promise<void>;
}

function parseEnv(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  if (!env.TAP_URL || !env.SIA_URL || !env.TAP_BASE) throw new Error(`start.sh printed no TAP_URL:\n${stdout}`);
  return env;
}

async function script(name: string, args: string[], stateDir: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, TAP_STATE_DIR: stateDir };
  for (const k of ["TAP_URL", "SIA_URL", "TAP_BASE", "TAP_PID", "PG_PID", "PG_PORT", "TAP_PORT", "TAP_LOG_DIR"]) delete env[k];
  try {
    const { stdout } = await run(join(TAP_SCRIPTS, name), args, { env, timeout: 240_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${name} ${args.join(" ")} failed: ${err.message}\n${err.stderr ?? ""}`.trim());
  }
}

/** Start DaCHS with Troop's test data in a fresh temp state dir owned by this process. */
export async function startRealTap(): Promise<RealTap> {
  await sweepStaleTaps();
  const stateDir = mkdtempSync(join(tmpdir(), TAP_TEMP_PREFIX));
  writeFileSync(join(stateDir, "owner.pid"), `${process.pid}\n`);
  let stdout: string;
  try {
    stdout = await script("start.sh", [], stateDir);
  } catch (err) {
    await script("stop.sh", [stateDir, "--rm"], stateDir).catch(() => rmSync(stateDir, { recursive: true, force: true }));
    throw err;
  }
  const env = parseEnv(stdout);
  const tap: RealTap = {
    tapUrl: env.TAP_URL!,
    siaUrl: env.SIA_URL!,
    baseUrl: env.TAP_BASE!,
    stateDir,
    env,
    stop: async (opts = {}) => void (await script("stop.sh", opts.rm === false ? [stateDir] : [stateDir, "--rm"], stateDir)),
    async start() {
      const next = parseEnv(await script("start.sh", [], stateDir));
      Object.assign(tap, { env: next, tapUrl: next.TAP_URL, siaUrl: next.SIA_URL, baseUrl: next.TAP_BASE });
    },
  };
  return tap;
}

/** Stop and remove temp servers whose owner process is gone (a killed earlier run). */
export async function sweepStaleTaps(): Promise<void> {
  await sweepStale(TAP_TEMP_PREFIX, (dir) => script("stop.sh", [dir, "--rm"], dir));
}

/** A deterministic `random()` (mulberry32) for fixed-seed tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
