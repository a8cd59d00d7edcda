import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const bin = new URL("../../bin/troop.js", import.meta.url).pathname;
const data = (name: string) => new URL(`../data/configs/${name}`, import.meta.url).pathname;

async function troop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { PATH: process.env["PATH"] } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("troop validate", () => {
  it("exits 0 for a valid config and says how many flocks it has", async () => {
    const r = await troop("validate", data("seed-notebook-user-spec.yaml"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(1 autostart flock\)/);
  });

  it("exits 1 with file, line, path and expectation for every problem, and no stack trace", async () => {
    const r = await troop("validate", data("bad-max-executions.yaml"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${data("bad-max-executions.yaml")}:9:`);
    expect(r.stderr).toMatch(/autostart\[0\]\.business\.options\.max_executions: .*expected number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 1 with a clear message for a missing file", async () => {
    const r = await troop("validate", "/nonexistent/troop.yaml");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/nonexistent\/troop.yaml: \(file\): cannot read: ENOENT/);
  });

  it("validates a single flock spec too", async () => {
    const r = await troop("validate", new URL("../../examples/flock-python.yaml", import.meta.url).pathname);
    expect(r.stdout).toMatch(/valid flock spec/);
    expect(r.code).toBe(0);
  });
});
