/**
 * The client commands (`troop flocks …`) against a running Troop (EmptyLoop flocks, so no hub).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTroop, type TestTroop } from "../support/troop.js";

const run = promisify(execFile);
const bin = new URL("../../bin/troop.js", import.meta.url).pathname;

describe("troop flocks", () => {
  let troop: TestTroop;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), "troop-cli-"));
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token" });
    await troop.container.server.listen({ port: 0, host: "127.0.0.1" });
    url = `http://127.0.0.1:${(troop.container.server.server.address() as { port: number }).port}`;
  });
  afterAll(async () => troop?.close());

  const troopCli = async (...args: string[]) => {
    try {
      const r = await run(process.execPath, [bin, "flocks", ...args], { env: { PATH: process.env["PATH"], TROOP_URL: url, TROOP_API_TOKEN: troop.token } });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };

  it("starts a flock from a YAML spec, lists, summarises, pauses, resumes, reports and stops it", async () => {
    const spec = join(dir, "spec.yaml");
    writeFileSync(spec, "name: cli\ncount: 2\nuser_spec:\n  username_prefix: bot-cli\nbusiness:\n  type: EmptyLoop\n  options:\n    idle_time: 0.05\n");
    expect((await troopCli("start", "-f", spec)).out).toMatch(/started flock cli with 2 monkeys/);
    expect((await troopCli("list")).out.trim()).toBe("cli");
    await new Promise((r) => setTimeout(r, 300));
    const summary = (await troopCli("summary")).out;
    expect(summary).toMatch(/^FLOCK\s+BUSINESS\s+MONKEYS\s+SUCCESS\s+FAILURE\s+RATE\s+STATE/);
    expect(summary).toMatch(/cli\s+EmptyLoop\s+2\s+\d+\s+0\s+100.0%\s+running/);
    expect((await troopCli("pause", "cli")).out).toMatch(/paused flock cli/);
    expect((await troopCli("summary", "cli")).out).toMatch(/paused/);
    expect((await troopCli("resume", "cli")).out).toMatch(/resumed flock cli/);
    const reports = join(dir, "reports");
    expect((await troopCli("report", "cli", "-o", reports)).out).toMatch(/wrote 2 monkey reports/);
    expect(readdirSync(reports).sort()).toEqual(["bot-cli1_log.txt", "bot-cli1_stats.json", "bot-cli2_log.txt", "bot-cli2_stats.json"]);
    expect(JSON.parse(readFileSync(join(reports, "bot-cli1_stats.json"), "utf8")).name).toBe("bot-cli1");
    expect((await troopCli("stop", "cli")).out).toMatch(/stopped flock cli/);
  });

  it("shows a located error for an invalid spec before calling the API", async () => {
    const spec = join(dir, "bad.yaml");
    writeFileSync(spec, "name: cli\ncount: 1\nuser_spec:\n  username_prefix: cli\nbusiness:\n  type: EmptyLoop\n");
    const r = await troopCli("start", "-f", spec);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad.yaml:4:\d+: user_spec.username_prefix: usernames must begin with bot-/);
  });

  it("refreshes a flock of notebook runners, and shows the API's error for one with nothing to refresh or no flock", async () => {
    // the hub is unreachable: the monkeys exist (failing at hub_login, long error_idle_time) and can be told to refresh
    const spec = join(dir, "nb.yaml");
    writeFileSync(spec, "name: nbcli\ncount: 2\nuser_spec:\n  username_prefix: bot-nbcli\nbusiness:\n  type: NotebookRunnerList\n  options:\n    repo_url: file:///nonexistent/repo.git\n    error_idle_time: 1h\n");
    expect((await troopCli("start", "-f", spec)).out).toMatch(/started flock nbcli with 2 monkeys/);
    const ok = await troopCli("refresh", "nbcli");
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/refresh requested for flock nbcli: 2 monkeys will pick up the newest commit at their next notebook/);
    expect((await troop.api("GET", "/flocks/nbcli/monkeys/bot-nbcli1")).body.business.refreshing).toBe(true);
    expect((await troopCli("stop", "nbcli")).code).toBe(0);

    const loop = join(dir, "loop.yaml");
    writeFileSync(loop, "name: loopcli\ncount: 1\nuser_spec:\n  username_prefix: bot-loopcli\nbusiness:\n  type: EmptyLoop\n  options:\n    idle_time: 1\n");
    expect((await troopCli("start", "-f", loop)).code).toBe(0);
    const conflict = await troopCli("refresh", "loopcli");
    expect(conflict.code).toBe(1);
    expect(conflict.err).toMatch(/POST \/flocks\/loopcli\/refresh → 409 invalid_flock_state: flock loopcli runs EmptyLoop, which has nothing to refresh/);
    await troopCli("stop", "loopcli");
    const missing = await troopCli("refresh", "nope");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/404 flock_not_found: Flock nope not found/);
  });

  it("shows the API's error code for an unknown flock, and a clear message without TROOP_URL", async () => {
    const r = await troopCli("stop", "nope");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/404 flock_not_found: Flock nope not found/);
    const bare = await run(process.execPath, [bin, "flocks", "list"], { env: { PATH: process.env["PATH"] } }).catch((e: { stderr: string }) => e);
    expect((bare as { stderr: string }).stderr).toMatch(/set TROOP_URL/);
  });
});
