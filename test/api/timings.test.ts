/**
 * `GET /flocks/{flock}/timings`: durations of a phase, the execution, a notebook or its cells in
 * time buckets with count, p50 and p95, from the stored history; per notebook; bounded buckets;
 * located validation errors; in the OpenAPI document. In-process, records written to the history.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Execution } from "../../src/models/execution.js";
import { quantile } from "../../src/services/results/timings.js";
import { record } from "../store/history-contract.js";
import { startTroop, type TestTroop } from "../support/troop.js";

const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR; // three whole hours ago
const nb = (path: string, cells: number[]): Execution["notebook"] => ({ path, repo_url: null, repo_ref: null, commit: "c0ffee", cells: cells.map((ms, i) => ({ number: i + 1, id: null, duration_ms: ms, ok: true })) });

describe("timings API", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: "logLevel: warn\nshutdownTimeout: 10s\n" });
    const history = troop.container.results.history;
    // hour 0: spawn 100..1000 ms (10 runs of a.ipynb); hour 1: spawn 2000 ms (5 runs of b.ipynb); hour 2: nothing
    for (let i = 0; i < 10; i++) {
      const t = T0 + i * 60_000;
      history.add(record(t, { flock: "tim", phases: [{ name: "spawn_lab", started_at: new Date(t).toISOString(), duration_ms: (i + 1) * 100, ok: true }], notebook: nb("a.ipynb", [10, 20 + i]) }));
    }
    for (let i = 0; i < 5; i++) {
      const t = T0 + HOUR + i * 60_000;
      history.add(record(t, { flock: "tim", duration_ms: 5000, phases: [{ name: "spawn_lab", started_at: new Date(t).toISOString(), duration_ms: 2000, ok: true }], notebook: nb("b.ipynb", [300]) }));
    }
    history.add(record(T0, { flock: "other" }));
  });
  afterAll(async () => troop?.close());

  const get = (q: string) => troop.api("GET", `/flocks/tim/timings?${q}`);
  const range = `since=${new Date(T0).toISOString()}&until=${new Date(T0 + 3 * HOUR).toISOString()}`;

  it("buckets a phase's durations with count, p50 and p95, every bucket of the range", async () => {
    const r = await get(`metric=phase:spawn_lab&${range}&bucket=1h`);
    expect(r.status, r.raw).toBe(200);
    expect(r.body).toMatchObject({ flock: "tim", metric: "phase:spawn_lab", notebook: null, bucket_ms: HOUR, scanned: 15, truncated: false, since: new Date(T0).toISOString() });
    expect(r.body.buckets).toEqual([
      { start: new Date(T0).toISOString(), count: 10, p50_ms: 500, p95_ms: 1000 },
      { start: new Date(T0 + HOUR).toISOString(), count: 5, p50_ms: 2000, p95_ms: 2000 },
      { start: new Date(T0 + 2 * HOUR).toISOString(), count: 0, p50_ms: null, p95_ms: null },
    ]);
    expect(r.body.total).toEqual({ count: 15, p50_ms: 800, p95_ms: 2000 });
    expect(r.body.phases).toEqual(["spawn_lab"]);
    expect(r.body.notebooks).toEqual(["a.ipynb", "b.ipynb"]);
  });

  it("gives notebook, cell and execution durations, per notebook and per cell", async () => {
    const notebook = (await get(`metric=notebook&notebook=b.ipynb&${range}&bucket=1h`)).body;
    expect(notebook.buckets.map((b: { count: number }) => b.count)).toEqual([0, 5, 0]);
    expect(notebook.total).toEqual({ count: 5, p50_ms: 300, p95_ms: 300 });
    const cells = (await get(`metric=cell&notebook=a.ipynb&${range}&bucket=1h`)).body;
    expect(cells.total.count).toBe(20);
    const cell2 = (await get(`metric=cell&cell=2&notebook=a.ipynb&${range}&bucket=1h`)).body;
    expect(cell2.total).toEqual({ count: 10, p50_ms: 24, p95_ms: 29 });
    const exec = (await get(`metric=execution&${range}&bucket=30m`)).body;
    expect(exec.buckets).toHaveLength(6);
    expect(exec.total).toMatchObject({ count: 15, p95_ms: 5000 });
  });

  it("chooses a bucket when none is given and bounds the number of buckets", async () => {
    const auto = (await get("metric=phase:spawn_lab")).body;
    expect(auto.bucket_ms).toBe(15 * 60_000); // 24 h in at most 96 buckets
    expect(auto.total.count).toBe(15);
    const tooMany = await get(`since=${new Date(T0 - 30 * 24 * HOUR).toISOString()}&bucket=1m`);
    expect((await get(`metric=phase:spawn_lab&since=${new Date(Date.now() - 15 * 60_000).toISOString()}`)).body.bucket_ms).toBe(10_000); // 15 min: 10 s buckets
    expect((await get(`metric=phase:spawn_lab&since=${new Date(Date.now() - 5 * 60_000).toISOString()}`)).body.bucket_ms).toBe(5_000); // 5 min: 5 s buckets
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors[0].path).toBe("bucket");
  });

  it("refuses bad queries with located errors and unknown flocks with flock_not_found", async () => {
    const r = await get("metric=spawn&bucket=2s&since=yesterday&extra=1");
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("invalid_request");
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["bucket", "extra", "metric", "since"]);
    expect((await get(`since=${new Date(T0 + HOUR).toISOString()}&until=${new Date(T0).toISOString()}`)).body.errors[0].path).toBe("since");
    expect((await get("metric=phase:spawn_lab&cell=1")).body.errors[0].path).toBe("cell");
    expect((await troop.api("GET", "/flocks/nobody/timings")).body.code).toBe("flock_not_found");
  });

  it("is in the OpenAPI document with its query parameters", async () => {
    const doc = (await troop.api("GET", "/openapi.json")).body;
    const op = doc.paths["/flocks/{flock}/timings"].get;
    expect(op.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toEqual(["path:flock", "query:metric", "query:notebook", "query:cell", "query:since", "query:until", "query:bucket"]);
    expect(JSON.stringify(op.responses["200"])).toContain("p95_ms");
  });

  it("computes nearest-rank quantiles", () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile(Array.from({ length: 100 }, (_, i) => i + 1), 0.95)).toBe(95);
  });
});
