/**
 * Noise control of alerts (pure): one alert per (flock, failure key) episode, repeats counted
 * and summarised after the window, recovery in the key's scope, threshold, paused silence.
 */
import { describe, expect, it } from "vitest";
import { AlertPolicy, failureKey } from "../../src/services/alerts/policy.js";
import { record } from "../store/history-contract.js";

const T0 = Date.parse("2026-11-20T12:00:00Z");
const fail = (t: number, extra: { exception?: string; notebook?: string; cell?: number; flock?: string } = {}) => {
  const r = record(t, { result: "failure", flock: extra.flock ?? "f" });
  r.error = { ...r.error!, exception: extra.exception ?? "ValueError", notebook: extra.notebook ?? null, cell_number: extra.cell ?? null };
  return r;
};
const ok = (t: number, notebook?: string, flock = "f") => record(t, { flock, notebook: notebook ? { path: notebook, repo_url: null, repo_ref: null, commit: null, cells: [] } : null });

describe("alert policy", () => {
  it("keys failures by phase, notebook, cell and error name", () => {
    expect(failureKey(fail(T0))).toBe("execute_code|||ValueError");
    expect(failureKey(fail(T0, { notebook: "a.ipynb", cell: 3 }))).toBe("execute_code|a.ipynb|3|ValueError");
    const timeout = record(T0, { result: "failure" });
    timeout.error = { ...timeout.error!, failure_class: "timeout", exception: null, phase: "spawn_lab" };
    expect(failureKey(timeout)).toBe("spawn_lab|||timeout");
    expect(failureKey(ok(T0))).toBe(null);
  });

  it("alerts once when a key starts failing, counts repeats, summarises them after the window, recovers once", () => {
    const p = new AlertPolicy({ threshold: 1, repeatWindowMs: 60_000 });
    expect(p.decide(fail(T0), false, T0).map((d) => d.kind)).toEqual(["failure"]);
    for (let i = 1; i <= 5; i++) expect(p.decide(fail(T0 + i * 1000), false, T0 + i * 1000)).toEqual([]);
    const other = p.decide(fail(T0 + 6000, { exception: "KeyError" }), false, T0 + 6000); // another key: its own alert
    expect(other.map((d) => d.kind)).toEqual(["failure"]);
    const repeat = p.decide(fail(T0 + 61_000), false, T0 + 61_000);
    expect(repeat).toHaveLength(1);
    expect(repeat[0]).toMatchObject({ kind: "repeat", count: 6, sinceMs: T0 });
    expect(repeat[0]!.episode.failures).toBe(7);
    const rec = p.decide(ok(T0 + 70_000), false, T0 + 70_000);
    expect(rec.map((d) => [d.kind, d.episode.key])).toEqual([
      ["recovery", "execute_code|||ValueError"],
      ["recovery", "execute_code|||KeyError"],
    ]);
    expect(p.decide(ok(T0 + 71_000), false, T0 + 71_000)).toEqual([]);
    expect(p.decide(fail(T0 + 72_000), false, T0 + 72_000).map((d) => d.kind)).toEqual(["failure"]); // a new episode
  });

  it("waits for N consecutive failures of a key, and a success resets the count silently", () => {
    const p = new AlertPolicy({ threshold: 3, repeatWindowMs: 3_600_000 });
    expect(p.decide(fail(T0), false, T0)).toEqual([]);
    expect(p.decide(fail(T0 + 1), false, T0 + 1)).toEqual([]);
    expect(p.decide(ok(T0 + 2), false, T0 + 2)).toEqual([]); // reset, no recovery: nothing was sent
    expect(p.decide(fail(T0 + 3), false, T0 + 3)).toEqual([]);
    expect(p.decide(fail(T0 + 4), false, T0 + 4)).toEqual([]);
    const d = p.decide(fail(T0 + 5), false, T0 + 5);
    expect(d.map((x) => x.kind)).toEqual(["failure"]);
    expect(d[0]!.episode).toMatchObject({ failures: 3, firstAt: T0 + 3 });
  });

  it("recovers a notebook key only when that notebook succeeds; other keys on any success", () => {
    const p = new AlertPolicy({ threshold: 1, repeatWindowMs: 3_600_000 });
    p.decide(fail(T0, { notebook: "a.ipynb", cell: 2 }), false, T0);
    p.decide(fail(T0, { exception: "SpawnError" }), false, T0);
    const first = p.decide(ok(T0 + 1, "b.ipynb"), false, T0 + 1);
    expect(first.map((d) => d.episode.key)).toEqual(["execute_code|||SpawnError"]);
    expect(p.decide(ok(T0 + 2, "a.ipynb"), false, T0 + 2).map((d) => d.episode.key)).toEqual(["execute_code|a.ipynb|2|ValueError"]);
  });

  it("forgets a flock's episodes when the flock is replaced under the same name", () => {
    const p = new AlertPolicy({ threshold: 1, repeatWindowMs: 3_600_000 });
    const first = {};
    const second = {};
    expect(p.decide(fail(T0), false, T0, first).map((d) => d.kind)).toEqual(["failure"]);
    expect(p.decide(fail(T0 + 1), false, T0 + 1, first)).toEqual([]);
    expect(p.decide(fail(T0 + 2), false, T0 + 2, second).map((d) => d.kind)).toEqual(["failure"]); // a new flock: a new episode
    expect(p.active()).toHaveLength(1);
  });

  it("never alerts for a paused flock and keeps flocks apart", () => {
    const p = new AlertPolicy({ threshold: 1, repeatWindowMs: 3_600_000 });
    expect(p.decide(fail(T0), true, T0)).toEqual([]);
    expect(p.active()).toEqual([]);
    expect(p.decide(fail(T0, { flock: "g" }), false, T0).map((d) => d.kind)).toEqual(["failure"]);
    expect(p.decide(fail(T0), false, T0).map((d) => d.kind)).toEqual(["failure"]);
    expect(p.decide(ok(T0 + 1, undefined, "g"), true, T0 + 1)).toEqual([]); // paused: no recovery either
    p.forget("g");
    expect(p.active().map((e) => e.flock)).toEqual(["f"]);
  });
});
