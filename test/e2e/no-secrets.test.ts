/**
 * Canary test: run flocks (success, failure, solitary, errors) on the real hub and search every
 * API response and every log line for every secret the run used — the API token, the hub
 * admin token and each bot token minted. None may appear.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");

describe("secrets never leave the process", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken });
  });
  afterAll(async () => troop?.close());

  it("appear in no API response and no log line", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("canary", { count: 2, prefix: "bot-canary" }));
    await troop.api("PUT", "/flocks", pythonFlock("canary-fail", { prefix: "bot-canaryf", code: "import os; print(os.environ.get('JUPYTERHUB_API_TOKEN')); 1/0" }));
    await waitFor("work done", async () => {
      const s = (await troop.api("GET", "/summary")).body.flocks;
      return s.every((f: { success_count: number; failure_count: number }) => f.success_count + f.failure_count >= 2);
    }, 60_000);
    await troop.api("POST", "/run", { user: { username: "bot-canary-solo" }, business: { type: "NubladoPythonLoop", options: { max_executions: 1, spawn_settle_time: 0 } } });
    for (const path of ["/flocks", "/summary", "/flocks/canary", "/flocks/canary-fail", "/flocks/canary/monkeys/bot-canary1", "/flocks/canary-fail/monkeys/bot-canaryf1", "/flocks/canary/monkeys/bot-canary1/log", "/flocks/canary-fail/monkeys/bot-canaryf1/log", "/openapi.json"]) {
      await troop.api("GET", path);
    }
    await troop.api("GET", "/flocks", undefined, { authorization: `Bearer ${hub.adminToken}` });
    await troop.api("DELETE", "/flocks/canary");
    await troop.api("DELETE", "/flocks/canary-fail");

    const secrets = [troop.token, hub.adminToken, ...troop.scrubber.seen];
    expect(troop.scrubber.seen.length).toBeGreaterThanOrEqual(5); // api + admin + 4 bot tokens at least
    const failing = (await troop.api("GET", "/summary")).body;
    expect(failing).toBeDefined();
    const everything = [...troop.responses, ...troop.logs];
    expect(everything.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      const hits = everything.filter((text) => text.includes(secret));
      expect(hits, `a secret of ${secret.length} chars leaked`).toEqual([]);
    }
  });
});
