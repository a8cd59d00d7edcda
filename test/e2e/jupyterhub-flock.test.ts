/**
 * The core engine against the real JupyterHub started by scripts/hub/start.sh (global setup):
 * flocks spawn real labs and run Python over the kernel websocket.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");

async function hubUser(name: string): Promise<any> {
  const res = await fetch(`${hub.apiUrl}/users/${name}`, { headers: { authorization: `token ${hub.adminToken}` } });
  return res.status === 404 ? null : res.json();
}
const hasServer = async (name: string) => Object.keys((await hubUser(name))?.servers ?? {}).length > 0;

describe("flocks on a real JupyterHub", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken });
  });
  afterAll(async () => troop?.close());

  it("runs 3 monkeys for 3+ iterations each, counts them, and leaves no server after DELETE", async () => {
    const put = await troop.api("PUT", "/flocks", pythonFlock("trio", { count: 3, prefix: "bot-trio", options: { user_options: { profile: "small" } } }));
    expect(put.status).toBe(201);
    expect(put.body.monkeys.map((m: { name: string }) => m.name)).toEqual(["bot-trio1", "bot-trio2", "bot-trio3"]);
    await waitFor("servers on the hub", async () => (await Promise.all(["bot-trio1", "bot-trio2", "bot-trio3"].map(hasServer))).every(Boolean), 60_000);
    expect((await hubUser("bot-trio1")).servers[""].user_options).toEqual({ profile: "small" });
    await waitFor(
      "3 iterations per monkey",
      async () => {
        const monkeys = await Promise.all([1, 2, 3].map((i) => troop.api("GET", `/flocks/trio/monkeys/bot-trio${i}`)));
        return monkeys.every((m) => m.body.business.success_count >= 3);
      },
      90_000,
    );
    const summary = await troop.api("GET", "/flocks/trio/summary");
    expect(summary.body).toMatchObject({ name: "trio", business: "NubladoPythonLoop", monkey_count: 3, paused: false });
    expect(summary.body.success_count).toBeGreaterThanOrEqual(9);
    const failures = await troop.api("GET", "/flocks/trio/executions?result=failure");
    expect({ count: summary.body.failure_count, errors: failures.body.executions.map((e: { error: unknown }) => e.error) }).toEqual({ count: 0, errors: [] });
    const monkey = await troop.api("GET", "/flocks/trio/monkeys/bot-trio1");
    expect(monkey.body.last_execution.phases.map((p: { name: string }) => p.name)).toContain("execute_code");
    expect((await troop.api("DELETE", "/flocks/trio")).status).toBe(204);
    for (const u of ["bot-trio1", "bot-trio2", "bot-trio3"]) expect(await hasServer(u)).toBe(false);
    expect((await troop.api("GET", "/flocks/trio")).body.code).toBe("flock_not_found");
  });

  it("reports 1/0 as a failure in execute_code with ZeroDivisionError and a traceback, and keeps going", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("zero", { code: "1/0", prefix: "bot-zero" }));
    const m = await waitFor("two failures", async () => {
      const r = await troop.api("GET", "/flocks/zero/monkeys/bot-zero1");
      return r.body.business.failure_count >= 2 ? r.body : null;
    }, 60_000);
    const err = m.last_execution.error;
    expect(err).toMatchObject({ phase: "execute_code", failure_class: "code_error", exception: "ZeroDivisionError", code: "1/0" });
    expect(err.traceback).toMatch(/ZeroDivisionError/);
    expect(err.traceback).not.toMatch(/\u001b\[/);
    const log = await troop.api("GET", "/flocks/zero/monkeys/bot-zero1/log");
    expect(log.raw).toMatch(/failed in execute_code: ZeroDivisionError: division by zero/);
    await troop.api("DELETE", "/flocks/zero");
  });

  it.each([false, true])("fails a sleeping cell within seconds on execution_timeout and carries on (restart: %s)", async (restart) => {
    const name = `sleepy-${restart}`;
    const started = Date.now();
    await troop.api("PUT", "/flocks", pythonFlock(name, { code: "import time; time.sleep(60)", restart, prefix: `bot-sleep${restart ? "r" : "n"}`, options: { execution_timeout: "2s" } }));
    const monkey = `bot-sleep${restart ? "r" : "n"}1`;
    const m = await waitFor("two timeouts", async () => {
      const r = await troop.api("GET", `/flocks/${name}/monkeys/${monkey}`);
      return r.body.business.failure_count >= 2 ? r.body : null;
    }, 60_000);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(m.last_execution.error).toMatchObject({ phase: "execute_code", failure_class: "timeout", code: "import time; time.sleep(60)" });
    expect(m.last_execution.error.message).toMatch(/execute_code timed out after 2s/);
    const step = m.last_execution.phases.find((p: { name: string }) => p.name === "execute_code");
    expect(step.duration_ms).toBeLessThan(4000);
    await troop.api("DELETE", `/flocks/${name}`);
  });

  it("pauses a flock (labs released, paused everywhere) and resumes it", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("pausable", { prefix: "bot-pause" }));
    await waitFor("a success", async () => (await troop.api("GET", "/flocks/pausable/summary")).body.success_count >= 1, 60_000);
    const paused = await troop.api("POST", "/flocks/pausable/pause");
    expect(paused.body.paused).toBe(true);
    expect(await hasServer("bot-pause1")).toBe(false);
    expect((await troop.api("GET", "/summary")).body.flocks.find((f: { name: string }) => f.name === "pausable").paused).toBe(true);
    expect((await troop.api("GET", "/flocks/pausable/monkeys/bot-pause1")).body.state).toBe("paused");
    const before = (await troop.api("GET", "/flocks/pausable/summary")).body.success_count;
    await troop.api("POST", "/flocks/pausable/resume");
    await waitFor("a success after resume", async () => (await troop.api("GET", "/flocks/pausable/summary")).body.success_count > before, 60_000);
    await troop.api("DELETE", "/flocks/pausable");
  });

  it("changes the number of monkeys of a user_spec flock", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("grow", { prefix: "bot-grow", options: { idle_time: "5s" } }));
    const patched = await troop.api("PATCH", "/flocks/grow", { count: 2 });
    expect(patched.status).toBe(200);
    expect(patched.body.monkeys).toHaveLength(2);
    await waitFor("second monkey ran", async () => (await troop.api("GET", "/flocks/grow/monkeys/bot-grow2")).body.business.success_count >= 1, 60_000);
    expect((await troop.api("PATCH", "/flocks/grow", { count: 1 })).body.monkeys).toHaveLength(1);
    await troop.api("DELETE", "/flocks/grow");
    expect(await hasServer("bot-grow2")).toBe(false);
  });

  it("runs a solitary business once and returns success and the log", async () => {
    const r = await troop.api("POST", "/run", { user: { username: "bot-solo" }, scopes: [], business: { type: "NubladoPythonLoop", options: { code: "print(6*7)", max_executions: 1, spawn_settle_time: 0 } } });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.error).toBe(null);
    expect(r.body.log).toMatch(/lab spawned/);
    expect(await hasServer("bot-solo")).toBe(false);
  });
});
