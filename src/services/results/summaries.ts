/**
 * The summaries of `GET /summary` and `GET /flocks/{flock}/summary`: mobu's counters (plus
 * `paused`) from the flock manager, and the 1 h / 24 h / 7 d figures from the rolling windows.
 * Both come from memory; nothing is read from the database.
 * @module
 */
import type { GitHubSummary } from "../../models/github.js";
import type { WindowedFlockSummary } from "../../models/results.js";
import type { FlockSummary } from "../../models/status.js";
import type { RollingWindows } from "./windows.js";

/** What the summaries need of the flock manager. */
export interface FlockSummarySource {
  summaries(): FlockSummary[];
  getFlock(name: string): { summary(): FlockSummary };
}

export class SummaryService {
  constructor(
    private readonly manager: FlockSummarySource,
    private readonly windows: RollingWindows,
    /** The CI queue and recent checks (null or absent: GitHub integration off, no `github` field). */
    private readonly github: (() => GitHubSummary | null) | undefined = undefined,
  ) {}

  /** Every running flock, by name. */
  all(): { flocks: WindowedFlockSummary[]; ci_manager: null; github?: GitHubSummary } {
    const github = this.github?.() ?? null;
    return { flocks: this.manager.summaries().map((s) => ({ ...s, windows: this.windows.stats(s.name) })), ci_manager: null, ...(github ? { github } : {}) };
  }

  /** One running flock (404 flock_not_found otherwise). */
  flock(name: string): WindowedFlockSummary {
    const s = this.manager.getFlock(name).summary();
    return { ...s, windows: this.windows.stats(s.name) };
  }
}
