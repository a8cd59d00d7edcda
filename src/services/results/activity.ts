/**
 * A flock's activity for the dashboard's overview: executions and failures per hour of the last
 * 24 hours, from the in-memory 24 h window (no database read), and the current run of failures
 * with its first failure, from two index lookups in the history. Served apart from `/summary`,
 * whose cost stays that of reading memory.
 * @module
 */
import { flockNotFound } from "../../errors.js";
import type { FlockActivity } from "../../models/results.js";
import type { HistoryStore } from "../../store/history-types.js";
import { executionItem, type LinkBuilder } from "./executions.js";
import type { RollingWindows } from "./windows.js";

export interface ActivityDeps {
  history: HistoryStore;
  windows: RollingWindows;
  /** Whether a flock of that name is running now. */
  isRunning(flock: string): boolean;
  links: LinkBuilder;
}

/** The activity API's service. */
export class ActivityService {
  constructor(private readonly deps: ActivityDeps) {}

  /** Hourly figures and the failing run of `flock` (running, or with stored executions; else 404). */
  async flock(flock: string): Promise<FlockActivity> {
    const { history, windows, links } = this.deps;
    await history.flush();
    if (!this.deps.isRunning(flock) && !(await history.hasFlock(flock))) throw flockNotFound(flock);
    const run = await history.failingRun(flock);
    return {
      flock,
      hours: windows.hourly(flock).map((h) => ({ start: new Date(h.startMs).toISOString(), executions: h.executions, failures: h.failures })),
      failing: run ? { since: run.first.record.started_at, first: executionItem(run.first, links), last: executionItem(run.last, links) } : null,
    };
  }
}
