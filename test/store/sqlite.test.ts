import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { SqliteFlockStore } from "../../src/store/sqlite.js";
import { storeContract } from "./contract.js";

describe("SQLite store", () => {
  storeContract({
    async open() {
      const path = join(mkdtempSync(join(tmpdir(), "troop-store-")), "troop.sqlite");
      const store = await SqliteFlockStore.open(path, { flushMs: 10 });
      return {
        store,
        async reopen() {
          await store.close();
          return SqliteFlockStore.open(path);
        },
      };
    },
  });
});
