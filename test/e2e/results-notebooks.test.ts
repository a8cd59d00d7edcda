/**
 * Notebook results on the real JupyterHub: a NotebookRunnerList flock runs a notebook of three
 * code cells and one that fails at its second cell, then the notebook and cell duration
 * histograms of /metrics are checked against the stored history — counts, sums and every
 * bucket, per notebook and per cell number.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Execution } from "../../src/models/execution.js";
import { createTestRepo, notebook } from "../support/notebook-repo.js";
import { parseExposition, type Exposition } from "../support/prom-text.js";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");
const FLOCK = "nbmetrics";
const code = (source: string) => ({ cell_type: "code" as const, source });

/** Every stored record of the flock (full records: the list items carry no cells). */
async function storedRecords(troop: TestTroop): Promise<Execution[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: any = (await troop.api("GET", `/flocks/${FLOCK}/executions?limit=50${cursor ? `&cursor=${cursor}` : ""}`)).body;
    ids.push(...page.executions.map((e: { id: string }) => e.id));
    cursor = page.next_cursor;
  } while (cursor);
  return Promise.all(ids.map(async (id) => (await troop.api("GET", `/executions/${id}`)).body.record as Execution));
}

/** The `le` bounds of a histogram's buckets for one label set (+Inf included). */
function bounds(m: Exposition, name: string, labels: Record<string, string>): string[] {
  return m.find(`${name}_bucket`, labels).map((s) => s.labels["le"]!);
}

describe.skipIf(!hub)("notebook and cell histograms against the history, on the real hub", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    const repo = createTestRepo({
      "a-cells.ipynb": notebook([code("x = 1"), { cell_type: "markdown", source: "# not a code cell" }, code("import time\ntime.sleep(0.3)"), code("print(x)")]),
      "b-fails.ipynb": notebook([code("y = 2"), code("raise ValueError('fails at cell 2')"), code("print('never')")]),
    });
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: "logLevel: debug\nshutdownTimeout: 60s\nhistory: { flushInterval: 50ms }\n" });
    const put = await troop.api("PUT", "/flocks", {
      name: FLOCK,
      count: 1,
      user_spec: { username_prefix: "bot-nbmetrics" },
      business: { type: "NotebookRunnerList", options: { repo_url: repo.url, repo_ref: "main", idle_time: 0, error_idle_time: "0.2s", execution_idle_time: 0, spawn_settle_time: 0, delete_lab: false, jupyter_timeout: "30s", spawn_timeout: "90s" } },
    });
    expect(put.status).toBe(201);
    await waitFor("three runs of each notebook", async () => {
      const s = (await troop.api("GET", `/flocks/${FLOCK}/summary`)).body;
      return s.success_count >= 3 && s.failure_count >= 3;
    }, 180_000, 500);
    expect((await troop.api("POST", `/flocks/${FLOCK}/pause`)).status).toBe(200); // nothing new while we compare
  }, 240_000);
  afterAll(async () => {
    await troop?.api("DELETE", `/flocks/${FLOCK}`);
    await troop?.close();
  });

  it("has notebook and cell histogram counts, sums and buckets equal to the stored history", async () => {
    const records = await storedRecords(troop);
    const m = parseExposition((await troop.api("GET", "/metrics")).raw);
    expect((await storedRecords(troop)).length).toBe(records.length); // stable: the flock is paused
    const unexpected = records.filter((r) => r.result === "failure" && !(r.notebook?.path === "b-fails.ipynb" && r.error?.cell_number === 2));
    if (unexpected.length) console.log("unexpected failures", JSON.stringify(unexpected.map((r) => r.error)));
    expect(unexpected).toEqual([]);
    const runs = records.filter((r) => r.notebook !== null);
    expect(new Set(runs.map((r) => r.notebook!.path))).toEqual(new Set(["a-cells.ipynb", "b-fails.ipynb"]));

    for (const path of ["a-cells.ipynb", "b-fails.ipynb"]) {
      const mine = runs.filter((r) => r.notebook!.path === path);
      const totals = mine.map((r) => r.notebook!.cells.reduce((s, c) => s + c.duration_ms, 0) / 1000);
      const labels = { flock: FLOCK, notebook: path };
      expect(m.sum("troop_notebook_duration_seconds_count", labels), path).toBe(mine.length);
      expect(m.sum("troop_notebook_duration_seconds_sum", labels)).toBeCloseTo(totals.reduce((a, b) => a + b, 0), 6);
      for (const le of bounds(m, "troop_notebook_duration_seconds", labels)) {
        expect(m.sum("troop_notebook_duration_seconds_bucket", { ...labels, le }), `${path} le=${le}`).toBe(totals.filter((t) => le === "+Inf" || t <= Number(le)).length);
      }
      const cells = new Map<number, number[]>();
      for (const r of mine) for (const c of r.notebook!.cells) cells.set(c.number, [...(cells.get(c.number) ?? []), c.duration_ms / 1000]);
      expect([...cells.keys()].sort()).toEqual(path === "a-cells.ipynb" ? [1, 2, 3] : expect.arrayContaining([1, 2]));
      expect(new Set(m.find("troop_cell_duration_seconds_count", labels).map((s) => Number(s.labels["cell"])))).toEqual(new Set(cells.keys()));
      for (const [cell, values] of cells) {
        const cl = { ...labels, cell: String(cell) };
        expect(m.sum("troop_cell_duration_seconds_count", cl), `${path} cell ${cell}`).toBe(values.length);
        expect(m.sum("troop_cell_duration_seconds_sum", cl)).toBeCloseTo(values.reduce((a, b) => a + b, 0), 6);
        for (const le of bounds(m, "troop_cell_duration_seconds", cl)) {
          expect(m.sum("troop_cell_duration_seconds_bucket", { ...cl, le }), `${path} cell ${cell} le=${le}`).toBe(values.filter((v) => le === "+Inf" || v <= Number(le)).length);
        }
      }
    }
    const slow = runs.filter((r) => r.notebook!.path === "a-cells.ipynb").flatMap((r) => r.notebook!.cells.filter((c) => c.number === 2));
    expect(slow.every((c) => c.duration_ms >= 300)).toBe(true); // the sleeping cell is cell 2 (markdown cells are not numbered)
    expect(m.sum("troop_notebook_duration_seconds_count", { flock: FLOCK })).toBe(runs.length);
    expect(m.sum("troop_cell_duration_seconds_count", { flock: FLOCK })).toBe(runs.reduce((n, r) => n + r.notebook!.cells.length, 0));
  });
});
