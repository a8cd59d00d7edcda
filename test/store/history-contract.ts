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

  it("filters by failure class across the whole history, not only the newest rows", async () => {
    const { history } = await fixture.open();
    const timeout = (startMs: number) => {
      const r = record(startMs, { result: "failure" });
      r.error = { ...r.error!, phase: "spawn_lab", failure_class: "timeout", exception: null, message: "lab did not start in 60 s" };
      return r;
    };
    const old = [timeout(T0), timeout(T0 + 1000)];
    for (const r of old) history.add(r);
    for (let i = 0; i < 1500; i++) history.add(record(T0 + 10_000 + i * 1000, { result: i % 2 ? "failure" : "success" })); // code_error and successes, all newer
    history.add(timeout(T0 + 5_000_000));
    history.add(record(T0 + 6_000_000, { flock: "other", result: "failure", error: timeout(0).error }));
    await history.flush();
    const page = await history.list({ flock: "f", failureClass: "timeout", limit: 2 });
    expect(page.rows.map((r) => r.started_ms)).toEqual([T0 + 5_000_000, T0 + 1000]);
    expect(page.rows.every((r) => r.failure_class === "timeout" && r.flock === "f")).toBe(true);
    const rest = await history.list({ flock: "f", failureClass: "timeout", limit: 2, before: page.nextBefore! });
    expect(rest).toEqual({ rows: [expect.objectContaining({ id: old[0]!.id })], nextBefore: null });
    expect((await history.list({ flock: "f", failureClass: "code_error", limit: 1000 })).rows).toHaveLength(750);
    expect((await history.list({ flock: "f", failureClass: "timeout", result: "success", limit: 10 })).rows).toEqual([]);
    expect((await history.list({ flock: "f", failureClass: "timeout", since: T0 + 500, until: T0 + 2000, limit: 10 })).rows.map((r) => r.id)).toEqual([old[1]!.id]);
    await history.close();
  });

  it("finds the current run of failures however long it is, ignoring skipped executions", async () => {
    const { history } = await fixture.open();
    expect(await history.failingRun("f")).toBe(null);
    for (let i = 0; i < 10; i++) history.add(record(T0 + i * 1000, { result: i === 3 ? "failure" : "success" })); // an old failure, then successes
    await history.flush();
    expect(await history.failingRun("f")).toBe(null);
    const run = Array.from({ length: 1500 }, (_, i) => record(T0 + 100_000 + i * 1000, { result: "failure", monkey: i % 2 ? "bot-f2" : "bot-f1" }));
    for (const r of [...run].reverse()) history.add(r); // arrival order does not matter, start time does
    history.add(record(T0 + 100_000 + 500, { result: "skipped" })); // skipped: neither ends nor starts a run
    history.add(record(T0 + 100_000 + 2_000_000, { result: "skipped" }));
    history.add(record(T0 + 5_000_000, { flock: "other" })); // another flock's success changes nothing
    await history.flush();
    const got = await history.failingRun("f");
    expect(got?.first.id).toBe(run[0]!.id);
    expect(got?.first.record).toEqual(run[0]);
    expect(got?.last.id).toBe(run.at(-1)!.id);
    expect(await history.failingRun("other")).toBe(null);
    history.add(record(T0 + 100_000 + 999_500, { result: "success" })); // a success that started in the middle of the run
    await history.flush();
    const rest = await history.failingRun("f");
    expect([rest?.first.id, rest?.last.id]).toEqual([run[1000]!.id, run.at(-1)!.id]);
    history.add(record(T0 + 100_000 + 1_500_000, { result: "success" })); // started after the last failure: recovered
    await history.flush();
    expect(await history.failingRun("f")).toBe(null);
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
