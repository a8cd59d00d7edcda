import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import { SqliteHistoryStore } from "../../src/store/history-sqlite.js";
import { SqliteFlockStore } from "../../src/store/sqlite.js";
import { historyContract, record } from "./history-contract.js";

const defaults = { maxAge: 30 * 86_400_000, maxRows: 1_000_000, flushInterval: 10, queueLimit: 100_000, pruneInterval: 3_600_000 };

async function openHistory(path: string, limits: Partial<typeof defaults> = {}) {
  const store = await SqliteFlockStore.open(path, { flushMs: 10 });
  const history = new SqliteHistoryStore(store.db as unknown as Kysely<unknown>, { ...defaults, ...limits });
  const close = history.close.bind(history);
  history.close = async () => {
    await close();
    await store.close();
  };
  return { store, history };
}

describe("SQLite history store", () => {
  historyContract({
    async open(limits = {}) {
      const path = join(mkdtempSync(join(tmpdir(), "troop-history-")), "troop.sqlite");
      const { history } = await openHistory(path, limits);
      return {
        history,
        async reopen() {
          await history.close();
          return (await openHistory(path, limits)).history;
        },
      };
    },
  });

  it("shares the flocks' database and connection: counters and history in one file", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "troop-history-")), "troop.sqlite");
    const { store, history } = await openHistory(path);
    await store.saveFlock({ name: "f", config: {}, source: "api", paused: false, start_time: "2026-11-20T00:00:00Z" });
    for (let i = 0; i < 3000; i++) history.add(record(Date.parse("2026-11-20T00:00:00Z") + i));
    store.recordCounts("f", "bot-f1", { success: 3000, failure: 0 });
    await Promise.all([history.flush(), store.flush()]);
    expect((await store.loadCounts("f")).get("bot-f1")).toEqual({ success: 3000, failure: 0 });
    expect((await history.list({ flock: "f", limit: 1 })).nextBefore).not.toBe(null);
    expect(history.stats()).toMatchObject({ written: 3000, pending: 0 });
    await history.close();
  });
});
