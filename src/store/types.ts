/**
 * The storage interface of flocks and their counters, and the schema of stored rows (validated
 * on read, like every other boundary).
 * @module
 */
import { z } from "zod";

export const storedFlockSchema = z.strictObject({
  name: z.string(),
  /** The flock config as submitted (input form, so it re-validates on load). */
  config: z.record(z.string(), z.unknown()),
  source: z.enum(["api", "autostart"]),
  paused: z.boolean(),
  start_time: z.string(),
});
export type StoredFlock = z.output<typeof storedFlockSchema>;

export interface Counts {
  success: number;
  failure: number;
}

/** Where flocks, their pause state and each monkey's counters live. */
export interface FlockStore {
  listFlocks(): Promise<StoredFlock[]>;
  /** Insert or replace a flock; replacing resets its counters. */
  saveFlock(flock: StoredFlock): Promise<void>;
  setPaused(name: string, paused: boolean): Promise<void>;
  /** Change the stored config (e.g. a new `count`) without touching counters. */
  updateConfig(name: string, config: Record<string, unknown>): Promise<void>;
  deleteFlock(name: string): Promise<void>;
  loadCounts(flock: string): Promise<Map<string, Counts>>;
  /** Note a monkey's counters; written in batches (see `flush`). Never blocks the caller. */
  recordCounts(flock: string, monkey: string, counts: Counts): void;
  /** Write pending counters now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
