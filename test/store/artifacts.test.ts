/** The artifact store: files by id, bounded in number (oldest pruned first), ids checked. */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executionId } from "../../src/businesses/base.js";
import { ArtifactStore } from "../../src/store/artifacts.js";

describe("ArtifactStore", () => {
  it("keeps artifacts by id and prunes the oldest beyond its bound", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troop-artifacts-"));
    const store = new ArtifactStore(dir, 3);
    const ids = [1, 2, 3, 4, 5].map((i) => executionId(new Date(1_700_000_000_000 + i * 1000)));
    for (const [i, id] of ids.entries()) expect(await store.save(`{"n": ${i}}`, { id, name: `nb${i}.ipynb` })).toBe(id);
    await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(dir).sort()).toEqual(ids.slice(2).map((id) => `${id}.ipynb`));
    expect(await store.read(ids[4]!)).toBe('{"n": 4}');
    expect(await store.read(ids[0]!)).toBeNull();
  });

  it("refuses ids that are not artifact ids (no path tricks)", async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), "troop-artifacts-")));
    expect(await store.read("../../etc/passwd")).toBeNull();
    await expect(store.save("{}", { id: "../x", name: "x" })).rejects.toThrow(/invalid artifact id/);
  });
});
