#!/usr/bin/env node
// Purpose: idempotent project setup, run before tests/demos (`npm run setup`, pretest hooks).
// Plain Node ESM with no dependencies: it runs before node_modules exists.
//   a) npm ci (npm install without a lock) when node_modules is missing or package-lock.json
//      changed since the last install (stamp: node_modules/.troop-setup-stamp = lock sha256)
//   b) Debian packages for the real JupyterHub and TAP peers, when dpkg-query says one is missing
//   c) npm run build when a file under src/ (or a tsconfig) is newer than the last build
// Fast path (all done) takes a few ms. usage: node scripts/setup.mjs [--quiet] [--no-apt]
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const quiet = args.has("--quiet");
const noApt = args.has("--no-apt");
const PKGS = ["jupyterhub", "python3-jupyter-server", "python3-ipykernel", "python3-notebook", "python3-nbclient", "git",
  // the real TAP/SIA peer (scripts/tap/start.sh); never gavodachs2-server, see there
  "python3-gavo", "postgresql-15", "postgresql-15-pgsphere", "postgresql-15-q3c",
  // the dashboard's browser tests (test/e2e/dashboard.test.ts, playwright-core drives it)
  "chromium"];
const LOCK = join(ROOT, "package-lock.json");
const NODE_MODULES = join(ROOT, "node_modules");
const STAMP = join(NODE_MODULES, ".troop-setup-stamp");
const BUILD_STAMP = join(ROOT, "dist", ".troop-build-stamp");

const say = (msg) => quiet || process.stderr.write(`[setup] ${msg}\n`);
function fail(msg) {
  process.stderr.write(`[setup] ERROR: ${msg}\n`);
  process.exit(1);
}
/** Run a command, its output to stderr (held back with --quiet unless it fails); fail clearly. */
function run(cmd, argv, what) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, stdio: ["ignore", quiet ? "pipe" : 2, quiet ? "pipe" : 2], maxBuffer: 1 << 28 });
  if (r.error) fail(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    if (quiet) process.stderr.write(Buffer.concat([r.stdout, r.stderr].filter(Boolean)));
    fail(`${what} failed (${cmd} ${argv.join(" ")} exited ${r.status ?? r.signal})`);
  }
}
const onPath = (cmd) =>
  (process.env.PATH ?? "").split(":").some((d) => d && existsSync(join(d, cmd)));
const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

// ---- a) node dependencies ---------------------------------------------------------------
function npmDeps() {
  const hasLock = existsSync(LOCK);
  const want = hasLock ? `lock:${sha256(LOCK)}` : "no-lock";
  const have = existsSync(STAMP) ? readFileSync(STAMP, "utf8").trim() : "";
  if (existsSync(NODE_MODULES) && have === want) return;
  // node_modules from a plain `npm ci` without our stamp: adopt it if npm's own record of the
  // install (node_modules/.package-lock.json) is at least as new as the lock file
  const hidden = join(NODE_MODULES, ".package-lock.json");
  if (!have && hasLock && existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(LOCK).mtimeMs) {
    say("node_modules matches package-lock.json: recording a stamp");
  } else {
    const cmd = hasLock ? ["ci"] : ["install"];
    say(`npm ${cmd[0]} (${existsSync(NODE_MODULES) ? "package-lock.json changed" : "no node_modules"})`);
    run("npm", [...cmd, "--no-audit", "--no-fund"], `npm ${cmd[0]}`);
  }
  writeFileSync(STAMP, existsSync(LOCK) ? `lock:${sha256(LOCK)}\n` : "no-lock\n");
}

// ---- b) Debian packages for the JupyterHub peer -------------------------------------------
function debianPackages() {
  if (noApt) return;
  if (!onPath("dpkg-query")) return say("no dpkg-query (not Debian): skipping JupyterHub packages");
  const q = spawnSync("dpkg-query", ["-W", "-f=${Package} ${Status}\n", ...PKGS], { encoding: "utf8" });
  const ok = new Set(
    (q.stdout ?? "").split("\n").filter((l) => l.endsWith(" install ok installed")).map((l) => l.split(" ")[0]),
  );
  const missing = PKGS.filter((p) => !ok.has(p));
  if (missing.length === 0) return;
  if (!onPath("apt-get")) return say(`missing ${missing.join(" ")} but no apt-get: skipping (real-hub tests will fail)`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  // sudo resets the environment, so DEBIAN_FRONTEND goes through `env`
  const apt = (...a) => [...sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...a];
  say(`installing ${missing.join(" ")} with apt-get (about 30 s)`);
  for (const argv of [apt("update", "-qq"), apt("install", "-y", "-qq", "--no-install-recommends", ...missing)]) {
    run(argv[0], argv.slice(1), `apt-get (${missing.join(" ")})`);
  }
}

// ---- c) build dist/ from src/ -------------------------------------------------------------
/** Newest mtime under dir (files and dirs, so deletions count too) and whether any .ts exists. */
function scan(dir, acc = { newest: 0, ts: false }) {
  acc.newest = Math.max(acc.newest, statSync(dir).mtimeMs);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) scan(p, acc);
    else {
      if (e.name.endsWith(".ts")) acc.ts = true;
      acc.newest = Math.max(acc.newest, statSync(p).mtimeMs);
    }
  }
  return acc;
}
function build() {
  const src = join(ROOT, "src");
  if (!existsSync(src)) return;
  const { newest, ts } = scan(src);
  if (!ts) return say("src/ has no .ts files yet: skipping the build");
  const configs = ["tsconfig.json", "tsconfig.build.json"].map((f) => join(ROOT, f)).filter(existsSync);
  const inputs = Math.max(newest, ...configs.map((f) => statSync(f).mtimeMs));
  if (existsSync(BUILD_STAMP) && statSync(BUILD_STAMP).mtimeMs >= inputs) return;
  const started = Date.now();
  say(existsSync(BUILD_STAMP) ? "src/ changed: npm run build" : "no build yet: npm run build");
  run("npm", ["run", "--silent", "build"], "npm run build (tsc -p tsconfig.build.json)");
  writeFileSync(BUILD_STAMP, `built ${new Date(started).toISOString()}\n`);
  // stamp = build START, so a file saved while tsc ran still triggers the next build
  utimesSync(BUILD_STAMP, new Date(started), new Date(started));
}

const t0 = Date.now();
npmDeps();
debianPackages();
build();
say(`ready (${Date.now() - t0} ms)`);
