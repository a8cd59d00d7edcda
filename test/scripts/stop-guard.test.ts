/**
 * Purpose: the --rm guard of scripts/hub/stop.sh and scripts/tap/stop.sh (shared through
 * scripts/lib/state.sh). Each removes a state dir only when it is empty or holds a file its
 * start.sh makes; any other folder is left as it was, with exit 1 and the reason on stderr.
 * No hub or TAP server is needed: nothing runs in these dirs, so only the guard acts.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const scripts = new URL("../../scripts/", import.meta.url).pathname;

/** Each stop script by name (its log lines begin `[<name>-stop]`) and the files its start.sh leaves; any one marks a dir as its own. */
const cases = [
  { name: "hub", markers: ["peer.env", "jupyterhub.sqlite"] },
  { name: "tap", markers: ["peer.env", "ports", "pg/PG_VERSION", ".start.lock"] },
];

async function stop(script: string, args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run("bash", [join(scripts, script, "stop.sh"), ...args], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

const made: string[] = [];
function stateDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "troop-stop-guard-"));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.each(cases)("scripts/$name/stop.sh --rm", ({ name, markers }) => {
  it("refuses to delete a folder that holds none of its start script's files: exit 1, every file kept", async () => {
    const dir = stateDir({ "notes.txt": "mine\n", "src/main.c": "int main() {}\n" });
    const r = await stop(name, [dir, "--rm"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[${name}-stop] not removing ${dir}: it holds no ${name} state`);
    expect(readdirSync(dir).sort()).toEqual(["notes.txt", "src"]);
    expect(existsSync(join(dir, "src/main.c"))).toBe(true);
  });

  it("leaves a foreign folder alone and exits 0 without --rm", async () => {
    const dir = stateDir({ "notes.txt": "mine\n" });
    const r = await stop(name, [dir]);
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("removes an empty state dir", async () => {
    const dir = stateDir({});
    const r = await stop(name, [dir, "--rm"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`[${name}-stop] removed ${dir}`);
    expect(existsSync(dir)).toBe(false);
  });

  it.each(markers)("removes a state dir holding %s, with whatever else is in it", async (marker) => {
    const dir = stateDir({ [marker]: "", "owner.pid": "1\n", "logs/x.log": "log\n" });
    const r = await stop(name, [dir, "--rm"]);
    expect(r.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });
});
