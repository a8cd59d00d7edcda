/**
 * The metrics sink's label bounds (no hub): at most MAX_NOTEBOOKS notebook label values per
 * flock (later paths share "other", a path seen before keeps its own), cell numbers up to
 * MAX_CELL (beyond: "other"), and histogram counts that add up whatever the label.
 */
import { describe, expect, it } from "vitest";
import type { Execution } from "../../src/models/execution.js";
import { MAX_CELL, MAX_NOTEBOOKS, MetricsSink } from "../../src/services/results/metrics.js";
import { parseExposition } from "../support/prom-text.js";
import { record } from "../store/history-contract.js";

const sink = () => new MetricsSink({ monkeyStates: () => [], flocks: () => [], history: () => ({ pending: 0, written: 0, dropped: 0, pruned: 0 }), alertQueueDepth: () => 0 });

/** A notebook run of `path` in `flock` with cells numbered `cells`, each 100 ms. */
function run(flock: string, path: string, cells: number[]): Execution {
  return record(Date.now(), { flock, business: "NotebookRunner", notebook: { path, repo_url: null, repo_ref: null, commit: null, cells: cells.map((number) => ({ number, id: null, duration_ms: 100, ok: true })) } });
}

describe("metrics label bounds", () => {
  it("caps notebook labels per flock at MAX_NOTEBOOKS, then labels new paths other", async () => {
    expect(MAX_NOTEBOOKS).toBe(100);
    const m = sink();
    for (let i = 0; i < MAX_NOTEBOOKS + 20; i++) m.write(run("f", `nb/${i}.ipynb`, [1]));
    m.write(run("f", "nb/0.ipynb", [1])); // seen before the cap: still its own label
    m.write(run("f", "nb/150.ipynb", [1]));
    m.write(run("g", "nb/150.ipynb", [1])); // another flock has its own budget
    m.write(record(Date.now(), { flock: "f", result: "failure" })); // no notebook run: no notebook sample
    const e = parseExposition((await m.text()).body);
    const labels = new Set(e.find("troop_notebook_duration_seconds_count", { flock: "f" }).map((s) => s.labels["notebook"]));
    expect(labels.size).toBe(MAX_NOTEBOOKS + 1);
    expect(labels.has("other")).toBe(true);
    expect(labels.has(`nb/${MAX_NOTEBOOKS - 1}.ipynb`)).toBe(true);
    expect(labels.has(`nb/${MAX_NOTEBOOKS}.ipynb`)).toBe(false);
    expect(e.sum("troop_notebook_duration_seconds_count", { flock: "f", notebook: "other" })).toBe(21);
    expect(e.sum("troop_notebook_duration_seconds_count", { flock: "f", notebook: "nb/0.ipynb" })).toBe(2);
    expect(e.sum("troop_notebook_duration_seconds_count", { flock: "f" })).toBe(MAX_NOTEBOOKS + 22);
    expect(e.sum("troop_notebook_duration_seconds_count", { flock: "g", notebook: "nb/150.ipynb" })).toBe(1);
    expect(e.sum("troop_cell_duration_seconds_count", { flock: "f", notebook: "other", cell: "1" })).toBe(21); // cells follow their notebook's label
  });

  it("labels cell numbers up to MAX_CELL and later ones other", async () => {
    expect(MAX_CELL).toBe(300);
    const m = sink();
    m.write(run("f", "long.ipynb", [1, 2, MAX_CELL - 1, MAX_CELL, MAX_CELL + 1, MAX_CELL + 2, 5000]));
    const e = parseExposition((await m.text()).body);
    const cells = e.find("troop_cell_duration_seconds_count", { flock: "f", notebook: "long.ipynb" });
    expect(Object.fromEntries(cells.map((s) => [s.labels["cell"], s.value]))).toEqual({ "1": 1, "2": 1, [String(MAX_CELL - 1)]: 1, [String(MAX_CELL)]: 1, other: 3 });
    expect(e.sum("troop_cell_duration_seconds_sum", { flock: "f", notebook: "long.ipynb", cell: "other" })).toBeCloseTo(0.3, 9);
    expect(e.sum("troop_notebook_duration_seconds_sum", { flock: "f", notebook: "long.ipynb" })).toBeCloseTo(0.7, 9);
  });
});
