import { afterAll, beforeAll, describe } from "vitest";
import { NubladoPythonLoop } from "../../src/businesses/nublado-python-loop/business.js";
import { nubladoPythonLoopOptionsSchema } from "../../src/businesses/nublado-python-loop/options.js";
import { HttpClient } from "../../src/clients/http.js";
import { NubladoPlatform } from "../../src/clients/hub/nublado.js";
import { startFakeNublado, type FakeNublado } from "../support/fake-nublado.js";
import { businessContract } from "./contract.js";
import { testContext } from "./context.js";

describe("NubladoPythonLoop (against the fake Nublado)", () => {
  let fake: FakeNublado;
  let platform: NubladoPlatform;
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeNublado();
    platform = new NubladoPlatform({ http: new HttpClient(), baseUrl: fake.url, adminToken: fake.adminToken, tokenLifetimeMs: 3_600_000, deletePollMs: 50 });
  });
  afterAll(async () => fake?.close());

  businessContract(() => ({
    canFail: true,
    make: ({ failing, restart, idleMs, onExecution }) =>
      new NubladoPythonLoop(
        testContext({
          platform,
          restart,
          onExecution,
          username: `bot-contract${++n}`,
          options: nubladoPythonLoopOptionsSchema.parse({ code: failing ? "1/0" : "print(1+1)", max_executions: 2, execution_idle_time: 0, idle_time: idleMs / 1000, error_idle_time: 0.05, spawn_settle_time: 0, delete_lab: false }),
        }),
      ),
  }));
});
