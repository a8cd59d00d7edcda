/**
 * The same flock lifecycle in `nublado` mode, against the protocol-faithful fake Gafaelfawr +
 * Nublado in test/support (there is no real Nublado here).
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

  it("runs monkeys through hub login, spawn form, lab login and kernel, and records the image", async () => {
    const body = pythonFlock("nb", { count: 2, prefix: "bot-nb", options: { image: { image_class: "latest-weekly", size: "Small" }, code: "print(2+2)" } });
    expect((await troop.api("PUT", "/flocks", body)).status).toBe(201);
    await waitFor("2 iterations each", async () => (await troop.api("GET", "/flocks/nb/summary")).body.success_count >= 4, 30_000);
    expect(running("bot-nb1") && running("bot-nb2")).toBe(true);
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

  it("deletes labs and revokes every bot token when the flock is deleted", async () => {
    expect((await troop.api("DELETE", "/flocks/nb")).status).toBe(204);
    expect(running("bot-nb1") || running("bot-nb2")).toBe(false);
    const live = [...fake.state.tokens.entries()].filter(([key, t]) => t.username.startsWith("bot-nb") && !fake.state.revoked.includes(key));
    expect(live).toEqual([]);
  });
});
