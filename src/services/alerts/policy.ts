/**
 * Noise control of failure alerts, as a pure state machine (no I/O, time passed in).
 *
 * A failure is identified within its flock by its **key**: phase + notebook + cell + error
 * name (the Python exception, else the failure class). For each (flock, key):
 * - the first alert goes out when the key has failed `threshold` times in a row (default 1);
 * - later failures are counted, and once `repeatWindow` has passed since the last message a
 *   single repeat carries how many failures happened meanwhile;
 * - a success **in the key's scope** ends the episode — the same notebook for a notebook key,
 *   any success of the flock otherwise — with a recovery message if an alert was sent;
 * - records of a paused flock change nothing and produce nothing;
 * - a flock replaced or re-created under the same name starts with no episode.
 * @module
 */
import type { Execution } from "../../models/execution.js";

/** At most this many (flock, key) episodes are tracked; the oldest is forgotten beyond it. */
export const MAX_EPISODES = 1000;

/** A failure episode of one key in one flock. */
export interface Episode {
  flock: string;
  key: string;
  /** Notebook of the key (its scope), or null (the whole flock). */
  notebook: string | null;
  firstAt: number;
  lastAt: number;
  /** Failures of the key since the episode began. */
  failures: number;
  alerted: boolean;
  lastSentAt: number;
  /** Failures since the last message. */
  unsent: number;
}

/** What the policy decided for one record. */
export type AlertDecision =
  | { kind: "failure"; episode: Episode; record: Execution }
  | { kind: "repeat"; episode: Episode; record: Execution; count: number; sinceMs: number }
  | { kind: "recovery"; episode: Episode; record: Execution };

/** The failure key of a failed record. */
export function failureKey(r: Execution): string | null {
  const e = r.error;
  if (!e) return null;
  return [e.phase, e.notebook ?? "", e.cell_number ?? "", e.exception ?? e.failure_class].join("|");
}

const SAME = {};

export class AlertPolicy {
  private readonly episodes = new Map<string, Episode>();
  /** The flock instance each flock name's episodes belong to. */
  private readonly instances = new Map<string, object>();

  constructor(private readonly opts: { threshold: number; repeatWindowMs: number }) {}

  /**
   * Decide what to send for `record` (received at `nowMs`; `paused`: its flock is paused;
   * `instance`: the running flock, whose replacement forgets the name's episodes).
   */
  decide(record: Execution, paused: boolean, nowMs: number, instance: object = SAME): AlertDecision[] {
    if (paused || record.flock === null) return [];
    if (this.instances.get(record.flock) !== instance) {
      this.forget(record.flock);
      this.instances.set(record.flock, instance);
    }
    if (record.result === "failure") {
      const d = this.onFailure(record, record.flock, nowMs);
      return d ? [d] : [];
    }
    if (record.result === "success") return this.onSuccess(record, record.flock);
    return [];
  }

  /** Forget a flock's episodes (deleted flock). */
  forget(flock: string): void {
    for (const [id, e] of this.episodes) if (e.flock === flock) this.episodes.delete(id);
  }

  /** Episodes being tracked (for tests and the daily report). */
  active(): Episode[] {
    return [...this.episodes.values()];
  }

  private onFailure(record: Execution, flock: string, now: number): AlertDecision | null {
    const key = failureKey(record)!;
    const id = `${flock}\u0000${key}`;
    let e = this.episodes.get(id);
    if (!e) {
      e = { flock, key, notebook: record.error?.notebook ?? record.notebook?.path ?? null, firstAt: now, lastAt: now, failures: 0, alerted: false, lastSentAt: 0, unsent: 0 };
      this.episodes.set(id, e);
      if (this.episodes.size > MAX_EPISODES) this.episodes.delete(this.episodes.keys().next().value!);
    }
    e.failures++;
    e.lastAt = now;
    if (!e.alerted) {
      if (e.failures < this.opts.threshold) return null;
      e.alerted = true;
      e.lastSentAt = now;
      e.unsent = 0;
      return { kind: "failure", episode: { ...e }, record };
    }
    e.unsent++;
    if (now - e.lastSentAt < this.opts.repeatWindowMs) return null;
    const decision: AlertDecision = { kind: "repeat", episode: { ...e }, record, count: e.unsent, sinceMs: e.lastSentAt };
    e.lastSentAt = now;
    e.unsent = 0;
    return decision;
  }

  private onSuccess(record: Execution, flock: string): AlertDecision[] {
    const ran = record.notebook?.path ?? null;
    const out: AlertDecision[] = [];
    for (const [id, e] of this.episodes) {
      if (e.flock !== flock) continue;
      if (e.notebook !== null && e.notebook !== ran) continue;
      this.episodes.delete(id);
      if (e.alerted) out.push({ kind: "recovery", episode: { ...e }, record });
    }
    return out;
  }
}
