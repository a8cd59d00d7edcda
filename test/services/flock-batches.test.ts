/**
 * Starting a flock in batches (`start_batch_size`, `start_batch_wait`): every monkey starts,
 * batch after batch, and the waits between batches leave no abort listener behind (no
 * MaxListenersExceededWarning with many batches). `PUT /flocks` answers 201 at once while
 * later batches still wait, and those monkeys show `starting`.
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

  it("answers PUT with 201 at once while a later batch still waits, and shows that monkey starting", async () => {
    const body = { name: "slow-batches", count: 2, user_spec: { username_prefix: "bot-slowb" }, start_batch_size: 1, start_batch_wait: "1h", business: { type: "EmptyLoop", options: { idle_time: "1h" } } };
    const sent = Date.now();
    const put = await troop.api("PUT", "/flocks", body);
    // generous bound: PUT must not wait for the 1 h batch wait (nor for any monkey's iteration)
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(put.status).toBe(201);
    expect(put.body.monkeys.map((m: { name: string }) => m.name)).toEqual(["bot-slowb1", "bot-slowb2"]);
    await waitFor("the first batch ran an iteration", async () => (await troop.api("GET", "/flocks/slow-batches/monkeys/bot-slowb1")).body.business.success_count >= 1, 10_000);
    const second = (await troop.api("GET", "/flocks/slow-batches/monkeys/bot-slowb2")).body;
    expect(second.state).toBe("starting");
    expect(second.business.success_count).toBe(0);
    expect((await troop.api("GET", "/flocks/slow-batches")).body.monkeys.map((m: { state: string }) => m.state)).toEqual(["idle", "starting"]);
    // stopping ends the wait between batches: DELETE does not sit out the hour
    expect((await troop.api("DELETE", "/flocks/slow-batches")).status).toBe(204);
  });
});
