/**
 * The contract every HistoryStore must pass (SQLite today; the same suite will run Postgres).
 */
import { expect, it } from "vitest";
import { executionId } from "../../src/businesses/base.js";
import type { Execution } from "../../src/models/execution.js";
import type { ExecutionSample, HistoryStore } from "../../src/store/history-types.js";

export interface HistoryFixture {
  /** A fresh store (with its own limits); `reopen` closes it and opens the same database again. */
  open(limits?: { maxAge?: number; maxRows?: number; queueLimit?: number }): Promise<{ history: HistoryStore; reopen(): Promise<HistoryStore> }>;
}

/** A record started at `startMs` (one phase per 100 ms of duration). */
export function record(startMs: number, extra: Partial<Execution> = {}): Execution {
  const failed = extra.result === "failure";
  return {
    id: executionId(new Date(startMs)),
    flock: "f",
    monkey: "bot-f1",
    business: "NubladoPythonLoop",
    started_at: new Date(startMs).toISOString(),
    ended_at: new Date(startMs + 300).toISOString(),
    duration_ms: 300,
    result: "success",
    phases: [
      { name: "hub_login", started_at: new Date(startMs).toISOString(), duration_ms: 100, ok: true },
      { name: "execute_code", started_at: new Date(startMs + 100).toISOString(), duration_ms: 200, ok: !failed },
    ],
    error: failed
      ? { phase: "execute_code", failure_class: "code_error", message: "ValueError: scheduled", code: "raise ValueError('scheduled')", exception: "ValueError", traceback: "Traceback...\nValueError: scheduled", notebook: null, cell_number: null, cell_id: null, output_tail: null }
      : null,
    image: { reference: "img@sha256:1", description: "Weekly 2026_47", tag: "w_2026_47", type: "weekly", version: "2026_47" },
    notebook: null,
    artifact: null,
    note: null,
    details: {},
    ...extra,
  };
}

const T0 = Date.parse("2026-11-20T00:00:00Z");

export function historyContract(fixture: HistoryFixture): void {
  it("stores every record with its indexed columns and its exact JSON, across a reopen", async () => {
    const { history, reopen } = await fixture.open();
    const nb = record(T0, {
      result: "failure",
      notebook: { path: "tutorials/01.ipynb", repo_url: "https://example.org/repo.git", repo_ref: "main", commit: "abc123", cells: [{ number: 1, id: "c1", duration_ms: 40, ok: true }, { number: 2, id: "c2", duration_ms: 60, ok: false }] },
      artifact: "art-1",
    });
    nb.error = { ...nb.error!, notebook: "tutorials/01.ipynb", cell_number: 2, cell_id: "c2" };
    history.add(nb);
    history.add(record(T0 + 1000));
    const again = await reopen();
    const row = await again.get(nb.id);
    expect(row).toMatchObject({ id: nb.id, flock: "f", monkey: "bot-f1", result: "failure", error_phase: "execute_code", failure_class: "code_error", error_name: "ValueError", notebook: "tutorials/01.ipynb", cell_number: 2, notebook_ms: 100, image_tag: "w_2026_47", image_type: "weekly", image_version: "2026_47", repo_commit: "abc123", artifact: "art-1", started_ms: T0 });
    expect(row!.record).toEqual(nb);
    expect(JSON.parse(row!.raw)).toEqual(nb);
    expect(await again.get("000000000000-nope")).toBe(null);
    expect(await again.hasFlock("f")).toBe(true);
    expect(await again.hasFlock("g")).toBe(false);
    await again.close();
  });

  it("pages newest first with a cursor and filters by result, monkey and start time", async () => {
    const { history } = await fixture.open();
    const all = Array.from({ length: 25 }, (_, i) => record(T0 + i * 60_000, { result: i % 3 === 2 ? "failure" : "success", monkey: i % 2 ? "bot-f2" : "bot-f1" }));
    for (const r of [...all].reverse()) history.add(r); // insertion order does not matter
    history.add(record(T0, { flock: "other" }));
    await history.flush();
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await history.list({ flock: "f", limit: 7, before });
      seen.push(...page.rows.map((r) => r.id));
      if (!page.nextBefore) break;
      before = page.nextBefore;
    }
    expect(seen).toEqual(all.map((r) => r.id).reverse());
    const failures = await history.list({ flock: "f", result: "failure", limit: 100 });
    expect(failures.rows.map((r) => r.id)).toEqual(all.filter((r) => r.result === "failure").map((r) => r.id).reverse());
    const f2 = await history.list({ flock: "f", monkey: "bot-f2", limit: 100 });
    expect(f2.rows.every((r) => r.monkey === "bot-f2")).toBe(true);
    expect(f2.rows).toHaveLength(12);
    const range = await history.list({ flock: "f", since: T0 + 5 * 60_000, until: T0 + 10 * 60_000, limit: 100 });
    expect(range.rows.map((r) => r.started_ms)).toEqual([9, 8, 7, 6, 5].map((i) => T0 + i * 60_000));
    expect(range.nextBefore).toBe(null);
    await history.close();
  });

  it("scans compact samples oldest first from a start time", async () => {
    const { history } = await fixture.open();
    for (let i = 0; i < 5; i++) history.add(record(T0 + i * 1000, { result: i === 4 ? "failure" : "success" }));
    await history.flush();
    const samples: ExecutionSample[] = [];
    expect(await history.scan(T0 + 2000, (s) => samples.push(s))).toBe(3);
    expect(samples.map((s) => s.startedMs)).toEqual([T0 + 2000, T0 + 3000, T0 + 4000]);
    expect(samples[2]).toEqual({ flock: "f", startedMs: T0 + 4000, result: "failure", failureClass: "code_error", phases: [["hub_login", 100], ["execute_code", 200]], notebook: null, notebookMs: null });
    await history.close();
  });

  it("reads timing rows of one flock newest first within a range, across pages, up to the limit", async () => {
    const { history } = await fixture.open();
    for (let i = 0; i < 4400; i++) history.add(record(T0 + i * 1000, { flock: i % 2 ? "g" : "f", duration_ms: i }));
    await history.flush();
    const all = await history.timingRows({ flock: "f", sinceMs: T0, untilMs: T0 + 4400 * 1000, limit: 5000, withRaw: false });
    expect(all).toHaveLength(2200);
    expect(all.map((r) => r.durationMs)).toEqual(Array.from({ length: 2200 }, (_, k) => 4398 - 2 * k));
    const limited = await history.timingRows({ flock: "f", sinceMs: T0 + 1000 * 1000, untilMs: T0 + 2000 * 1000, limit: 300, withRaw: true });
    expect(limited.map((r) => r.durationMs)).toEqual(Array.from({ length: 300 }, (_, k) => 1998 - 2 * k));
    expect(JSON.parse(limited[0]!.raw!).duration_ms).toBe(1998);
    await history.close();
  });

  it("prunes by age and then by row count, oldest first", async () => {
    const { history } = await fixture.open({ maxAge: 3_600_000, maxRows: 1000 });
    const now = T0 + 10 * 3_600_000;
    for (let i = 0; i < 1200; i++) history.add(record(now - 2 * 3_600_000 + i * 5000)); // from 2 h ago, every 5 s
    expect(await history.prune(now)).toBe(720); // the first 720 (5 s apart) are over 1 h old
    const left = await history.list({ flock: "f", limit: 1000 });
    expect(left.rows).toHaveLength(480);
    expect(Math.min(...left.rows.map((r) => r.started_ms))).toBeGreaterThanOrEqual(now - 3_600_000);
    for (let i = 0; i < 600; i++) history.add(record(now + i));
    expect(await history.prune(now)).toBe(80); // row cap 1000: the 80 oldest go
    const page = await history.list({ flock: "f", limit: 1000 });
    expect(page.rows).toHaveLength(1000);
    expect(page.nextBefore).toBe(null);
    expect(history.stats()).toMatchObject({ pending: 0, written: 1800, dropped: 0, pruned: 800 });
    await history.close();
  });

  it("drops the oldest queued records beyond the queue limit and counts them", async () => {
    const { history } = await fixture.open({ queueLimit: 100 });
    const recs = Array.from({ length: 150 }, (_, i) => record(T0 + i));
    for (const r of recs) history.add(r);
    expect(history.stats()).toMatchObject({ pending: 100, dropped: 50 });
    await history.flush();
    const page = await history.list({ flock: "f", limit: 1000 });
    expect(page.rows.map((r) => r.id)).toEqual(recs.slice(50).map((r) => r.id).reverse());
    await history.close();
  });
}
