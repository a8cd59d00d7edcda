/**
 * Starting a flock in batches (`start_batch_size`, `start_batch_wait`): every monkey starts,
 * batch after batch, and the waits between batches leave no abort listener behind (no
 * MaxListenersExceededWarning with many batches).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

describe("flock start in batches", () => {
  let troop: TestTroop;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);

  beforeAll(async () => {
    process.on("warning", onWarning);
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token" });
  });
  afterAll(async () => {
    process.off("warning", onWarning);
    await troop?.close();
  });

  it("starts 30 monkeys one per batch without piling up abort listeners", async () => {
    const put = await troop.api("PUT", "/flocks", { name: "batched", count: 30, user_spec: { username_prefix: "bot-batch" }, start_batch_size: 1, start_batch_wait: "5ms", business: { type: "EmptyLoop", options: { idle_time: "1h" } } });
    expect(put.status).toBe(201);
    await waitFor("every monkey started", async () => (await troop.api("GET", "/flocks/batched")).body.monkeys.every((m: { state: string }) => m.state === "running" || m.state === "idle"), 10_000);
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });
});
