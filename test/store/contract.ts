/**
 * The contract every FlockStore must pass (SQLite today; the same suite will run Postgres).
 */
import { expect, it } from "vitest";
import type { FlockStore, StoredFlock } from "../../src/store/types.js";

export interface StoreFixture {
  /** A fresh store; `reopen` closes it and opens the same database again. */
  open(): Promise<{ store: FlockStore; reopen(): Promise<FlockStore> }>;
}

const flock = (name: string, extra: Partial<StoredFlock> = {}): StoredFlock => ({
  name,
  config: { name, count: 1, user_spec: { username_prefix: `bot-${name}` }, business: { type: "EmptyLoop" } },
  source: "api",
  paused: false,
  start_time: "2026-11-21T00:00:00.000Z",
  ...extra,
});

export function storeContract(fixture: StoreFixture): void {
  it("keeps flocks, pause state and counters across a reopen", async () => {
    const { store, reopen } = await fixture.open();
    await store.saveFlock(flock("a"));
    await store.saveFlock(flock("b", { source: "autostart" }));
    await store.setPaused("a", true);
    store.recordCounts("a", "bot-a1", { success: 3, failure: 1 });
    const again = await reopen();
    expect(await again.listFlocks()).toEqual([flock("a", { paused: true }), flock("b", { source: "autostart" })]);
    expect(await again.loadCounts("a")).toEqual(new Map([["bot-a1", { success: 3, failure: 1 }]]));
    await again.close();
  });

  it("resets counters when a flock is replaced and forgets everything when it is deleted", async () => {
    const { store } = await fixture.open();
    await store.saveFlock(flock("a"));
    store.recordCounts("a", "bot-a1", { success: 5, failure: 0 });
    await store.flush();
    await store.saveFlock(flock("a"));
    expect((await store.loadCounts("a")).size).toBe(0);
    store.recordCounts("a", "bot-a1", { success: 1, failure: 0 });
    await store.deleteFlock("a");
    await store.flush();
    expect(await store.listFlocks()).toEqual([]);
    expect((await store.loadCounts("a")).size).toBe(0);
    await store.close();
  });

  it("updates a stored config without touching counters", async () => {
    const { store } = await fixture.open();
    await store.saveFlock(flock("a"));
    store.recordCounts("a", "bot-a1", { success: 2, failure: 2 });
    await store.flush();
    await store.updateConfig("a", { ...flock("a").config, count: 3 });
    expect((await store.listFlocks())[0]!.config["count"]).toBe(3);
    expect((await store.loadCounts("a")).get("bot-a1")).toEqual({ success: 2, failure: 2 });
    await store.close();
  });

  it("drops counters of a flock deleted before they were written", async () => {
    const { store } = await fixture.open();
    store.recordCounts("ghost", "bot-g1", { success: 1, failure: 0 });
    await store.flush();
    expect((await store.loadCounts("ghost")).size).toBe(0);
    await store.close();
  });
}
