/**
 * A real JupyterHub of its own is stopped mid-run and started again: monkeys report failures
 * in the phase that hit the outage and recover without a restart of Troop.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

const run = promisify(execFile);
const scripts = new URL("../../scripts/hub/", import.meta.url).pathname;

async function hubScript(name: "start.sh" | "stop.sh", stateDir: string): Promise<Record<string, string>> {
  const { stdout } = await run("bash", [join(scripts, name), ...(name === "stop.sh" ? [stateDir] : [])], { env: { ...process.env, JH_STATE_DIR: stateDir } });
  return Object.fromEntries(stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

describe("hub outage", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "troop-outage-hub-"));
  let troop: TestTroop | undefined;
  afterAll(async () => {
    await troop?.close();
    await run("bash", [join(scripts, "stop.sh"), stateDir, "--rm"]).catch(() => undefined);
  });

  it("fails in the right phase while the hub is down and recovers when it is back", async () => {
    const hub = await hubScript("start.sh", stateDir);
    troop = await startTroop({ hubUrl: hub["JH_URL"]!, adminToken: hub["JH_ADMIN_TOKEN"]! });
    await troop.api("PUT", "/flocks", pythonFlock("outage", { prefix: "bot-outage", options: { jupyter_timeout: "5s", error_idle_time: "1s" } }));
    await waitFor("a success", async () => (await troop!.api("GET", "/flocks/outage/summary")).body.success_count >= 1, 60_000);

    await hubScript("stop.sh", stateDir);
    const m = await waitFor("a failure", async () => {
      const r = (await troop!.api("GET", "/flocks/outage/monkeys/bot-outage1")).body;
      return r.business.failure_count >= 2 ? r : null;
    }, 60_000);
    const stored = (await troop.api("GET", "/flocks/outage/executions?result=failure&limit=100")).body.executions.map((e: { error: unknown }) => e.error);
    // a hub that is down is unreachable (network_error), answers with an error status (http_error)
    // or does not answer in time (timeout); never an unclassified internal failure
    expect({ phase: m.last_execution.error.phase, failure_class: m.last_execution.error.failure_class, stored }).toMatchObject({
      phase: expect.stringMatching(/^(hub_login|lab_status|create_session|execute_setup|execute_code|delete_session)$/),
      failure_class: expect.stringMatching(/^(network_error|http_error|timeout)$/),
    });
    expect(stored.filter((e: { failure_class: string }) => e.failure_class === "internal")).toEqual([]);

    const again = await hubScript("start.sh", stateDir);
    expect(again["JH_URL"]).toBe(hub["JH_URL"]);
    const failures = (await troop.api("GET", "/flocks/outage/summary")).body;
    await waitFor("successes after the outage", async () => (await troop!.api("GET", "/flocks/outage/summary")).body.success_count >= failures.success_count + 2, 90_000);
    const after = (await troop.api("GET", "/flocks/outage/monkeys/bot-outage1")).body;
    expect(after.last_execution.result).toBe("success");
  });
});
