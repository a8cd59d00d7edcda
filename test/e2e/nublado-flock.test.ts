/**
 * The same flock lifecycle in `nublado` mode as against the real JupyterHub, against the
 * protocol-faithful fake Gafaelfawr + Nublado in test/support (there is no real Nublado here):
 * 3 monkeys with 3+ iterations each, outage and recovery, 1/0 and `execution_timeout` failures
 * the monkeys carry on after, `restart` (fresh lab after a failure, or the same lab kept), and
 * clean-up on DELETE.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeNublado, type FakeNublado } from "../support/fake-nublado.js";
import { pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

describe("flocks in nublado mode (fake Gafaelfawr + Nublado)", () => {
  let fake: FakeNublado;
  let troop: TestTroop;
  beforeAll(async () => {
    fake = await startFakeNublado();
    troop = await startTroop({ hubUrl: fake.url, adminToken: fake.adminToken, hubType: "nublado" });
  });
  afterAll(async () => {
    await troop?.close();
    await fake?.close();
  });

  const running = (u: string) => fake.state.labs.get(u)?.running === true;

  /** A flock's stored executions, oldest first. */
  const executions = async (flock: string): Promise<any[]> => (await troop.api("GET", `/flocks/${flock}/executions?limit=1000`)).body.executions.reverse();
  const phaseNames = (e: { phases: { name: string }[] }) => e.phases.map((p) => p.name);
  const labDeletes = (u: string) => fake.state.requests.filter((r) => r.startsWith(`DELETE /nb/hub/api/users/${u}/server `)).length;

  it("runs 3 monkeys through hub login, spawn form, lab login and kernel, 3+ iterations each, and records the image", async () => {
    const body = pythonFlock("nb", { count: 3, prefix: "bot-nb", options: { image: { image_class: "latest-weekly", size: "Small" }, code: "print(2+2)" } });
    const put = await troop.api("PUT", "/flocks", body);
    expect(put.status).toBe(201);
    expect(put.body.monkeys.map((m: { name: string }) => m.name)).toEqual(["bot-nb1", "bot-nb2", "bot-nb3"]);
    await waitFor("3 iterations per monkey", async () => {
      const monkeys = await Promise.all([1, 2, 3].map((i) => troop.api("GET", `/flocks/nb/monkeys/bot-nb${i}`)));
      return monkeys.every((m) => m.body.business.success_count >= 3);
    }, 30_000);
    const summary = (await troop.api("GET", "/flocks/nb/summary")).body;
    expect(summary).toMatchObject({ name: "nb", business: "NubladoPythonLoop", monkey_count: 3, paused: false });
    expect(summary.success_count).toBeGreaterThanOrEqual(9);
    const failures = (await executions("nb")).filter((e) => e.result === "failure");
    expect({ count: summary.failure_count, errors: failures.map((e) => e.error) }).toEqual({ count: 0, errors: [] });
    expect(running("bot-nb1") && running("bot-nb2") && running("bot-nb3")).toBe(true);
    expect(fake.state.labs.get("bot-nb1")!.form).toMatchObject({ image_class: "latest-weekly", size: "Small" });
    const m = (await troop.api("GET", "/flocks/nb/monkeys/bot-nb1")).body;
    expect(m.business.image).toMatchObject({ type: "weekly" });
    expect(m.business.image.version).toMatch(/^\d{4}_\d{2}$/);
  });

  it("reports an outage as failures in the phase that hit it and recovers afterwards", async () => {
    const before = (await troop.api("GET", "/flocks/nb/summary")).body;
    fake.setDown(true);
    const failing = await waitFor("failures during the outage", async () => {
      const s = (await troop.api("GET", "/flocks/nb/summary")).body;
      return s.failure_count > before.failure_count ? s : null;
    });
    const m = (await troop.api("GET", "/flocks/nb/monkeys/bot-nb1")).body;
    expect(["hub_login", "lab_status", "create_session", "execute_setup", "execute_code", "delete_session"]).toContain(m.last_execution.error.phase);
    fake.setDown(false);
    await waitFor("successes after the outage", async () => (await troop.api("GET", "/flocks/nb/summary")).body.success_count > failing.success_count + 2, 30_000);
  });

  it("fails 1/0 in execute_code with the exception and an ANSI-free traceback", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("nbzero", { prefix: "bot-nbzero", code: "1/0" }));
    const m = await waitFor("a failure", async () => {
      const r = (await troop.api("GET", "/flocks/nbzero/monkeys/bot-nbzero1")).body;
      return r.business.failure_count >= 1 ? r : null;
    });
    expect(m.last_execution.error).toMatchObject({ phase: "execute_code", exception: "ZeroDivisionError" });
    expect(m.last_execution.error.traceback).not.toMatch(/\u001b\[/);
    await troop.api("DELETE", "/flocks/nbzero");
  });

  it.each([false, true])("fails a sleeping cell quickly on execution_timeout, naming the limit, and carries on (restart: %s)", async (restart) => {
    const name = `nbsleep-${restart}`;
    const user = `bot-nbsleep${restart ? "r" : "n"}1`;
    await troop.api("PUT", "/flocks", pythonFlock(name, { code: "import time; time.sleep(60)", restart, prefix: `bot-nbsleep${restart ? "r" : "n"}`, options: { execution_timeout: "2s" } }));
    const m = await waitFor("two timeouts", async () => {
      const r = (await troop.api("GET", `/flocks/${name}/monkeys/${user}`)).body;
      return r.business.failure_count >= 2 ? r : null;
    }, 45_000);
    expect(m.last_execution.error).toMatchObject({ phase: "execute_code", failure_class: "timeout", code: "import time; time.sleep(60)" });
    expect(m.last_execution.error.message).toMatch(/execute_code timed out after 2s/);
    // far below the 60 s the cell would sleep: the phase ends at its limit (generous bound, not a benchmark)
    const step = m.last_execution.phases.find((p: { name: string }) => p.name === "execute_code");
    expect(step.duration_ms).toBeLessThan(10_000);
    expect(m.state).not.toBe("stopped");
    await troop.api("DELETE", `/flocks/${name}`);
  });

  it("with restart: true, deletes the lab after a failure and spawns a fresh one for the next iteration", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("nbrestart", { code: "1/0", restart: true, prefix: "bot-nbrs" }));
    const history = await waitFor("three failed iterations", async () => {
      const all = await executions("nbrestart");
      if (all.length < 3) throw new Error(`${all.length} executions so far`);
      return all;
    });
    expect(history.map((e) => e.result)).toEqual(history.map(() => "failure"));
    // every iteration after a failure starts in a new lab: spawn_lab (and a fresh hub login) each time
    for (const e of history) expect(phaseNames(e)).toEqual(expect.arrayContaining(["hub_login", "spawn_lab", "execute_code"]));
    expect(labDeletes("bot-nbrs1")).toBeGreaterThanOrEqual(history.length - 1);
    await troop.api("DELETE", "/flocks/nbrestart");
  });

  it("with restart: false, keeps the same lab after a failure (no new spawn, no deletion)", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("nbkeep", { code: "1/0", restart: false, prefix: "bot-nbkeep" }));
    const first = await waitFor("the first failure", async () => ((await executions("nbkeep")).length >= 1 ? fake.state.labs.get("bot-nbkeep1") : null));
    const history = await waitFor("three failed iterations", async () => {
      const all = await executions("nbkeep");
      if (all.length < 3) throw new Error(`${all.length} executions so far`);
      return all;
    });
    expect(history.map((e) => e.result)).toEqual(history.map(() => "failure"));
    expect(phaseNames(history[0])).toContain("spawn_lab");
    for (const e of history.slice(1)) {
      expect(phaseNames(e)).not.toContain("spawn_lab");
      expect(phaseNames(e)).toContain("execute_code");
    }
    expect(fake.state.labs.get("bot-nbkeep1")).toBe(first); // the fake makes a new lab object per spawn
    expect(running("bot-nbkeep1")).toBe(true);
    expect(labDeletes("bot-nbkeep1")).toBe(0);
    await troop.api("DELETE", "/flocks/nbkeep");
  });

  it("deletes labs and revokes every bot token when the flock is deleted", async () => {
    expect((await troop.api("DELETE", "/flocks/nb")).status).toBe(204);
    expect(running("bot-nb1") || running("bot-nb2") || running("bot-nb3")).toBe(false);
    const live = [...fake.state.tokens.entries()].filter(([key, t]) => t.username.startsWith("bot-nb") && !fake.state.revoked.includes(key));
    expect(live).toEqual([]);
  });
});
