/**
 * One pass over the notebooks of a repository as one bot user in one lab: the
 * NotebookRunnerList business run for exactly as many iterations as notebooks are selected,
 * so selection (`mobu.yaml`), required applications, time limits and failure records are
 * those of the flocks. Used by `troop run-notebooks` and by the pull-request checks; `only`
 * narrows the selection to given paths (the notebooks a pull request changes).
 * @module
 */
import { NotebookRunner } from "../businesses/notebook-runner/business.js";
import { notebookRunnerListOptionsSchema } from "../businesses/notebook-runner/options.js";
import type { LineLogger, NotebookResources } from "../businesses/types.js";
import type { BotUser, Platform } from "../clients/hub/types.js";
import type { HttpClient } from "../clients/http.js";
import type { Execution } from "../models/execution.js";

export interface NotebookPassOptions {
  platform: Platform;
  http: HttpClient;
  user: BotUser;
  /** Repository and ref (branch, tag or commit). */
  url: string;
  ref: string;
  cellTimeoutMs: number;
  notebookTimeoutMs: number;
  /** Only these repository-relative paths (still subject to `mobu.yaml`); absent: every selected notebook. */
  only?: readonly string[] | undefined;
  notebooks: NotebookResources;
  log: LineLogger;
  /**
   * Makes a record or a log line safe to keep: known secrets and secret-looking assignments
   * removed (`SecretScrubber.scrubOutput`: lines and records carry outputs and tracebacks).
   */
  scrub(text: string): string;
  /** Each notebook's record as it completes (path, or `(<phase>)` for a failure before any notebook). */
  onResult?(path: string, record: Execution): void;
}

/** A pass, ready to run; `stop` ends it early (the lab is deleted, the token revoked). */
export class NotebookPass {
  /** Records by notebook path. */
  readonly records = new Map<string, Execution>();
  private readonly business: NotebookRunner;

  constructor(o: NotebookPassOptions) {
    const options = notebookRunnerListOptionsSchema.parse({
      repo_url: o.url,
      repo_ref: o.ref,
      cell_timeout: o.cellTimeoutMs / 1000,
      notebook_timeout: o.notebookTimeoutMs / 1000,
      idle_time: 0,
      error_idle_time: 0,
      execution_idle_time: 0,
      spawn_settle_time: 0,
      delete_lab: true,
      collection_rules: o.only ? [{ type: "intersect_union_of", patterns: o.only.length ? o.only.map(literalGlob) : ["\u0000nothing"] }] : [],
    });
    this.business = new NotebookRunner(
      {
        options,
        restart: false,
        identity: { flock: null, monkey: o.user.username, business: "NotebookRunnerList" },
        user: o.user,
        platform: o.platform,
        http: o.http,
        log: scrubbedLog(o.log, o.scrub),
        onExecution: (raw) => {
          const record = JSON.parse(o.scrub(JSON.stringify(raw))) as Execution;
          const path = record.notebook?.path ?? `(${record.error?.phase ?? "run"})`;
          this.records.set(path, record);
          o.onResult?.(path, record);
        },
        notebooks: o.notebooks,
      },
      "list",
    );
  }

  /** What runs now, for progress displays. */
  get progress(): { notebook: string; cell: number | null; cells: number | null } {
    const p = this.business.progress;
    return p ? { notebook: p.notebook, cell: p.cell, cells: p.cells } : { notebook: `(${this.business.currentPhase ?? "starting"})`, cell: null, cells: null };
  }

  /** Run `count` notebooks (the size of the selection); resolves with the records by path. */
  async run(count: number): Promise<Map<string, Execution>> {
    if (count > 0) await this.business.run(count);
    return this.records;
  }

  /** Stop early. */
  stop(): Promise<void> {
    return this.business.stop();
  }
}

/** `log` with every line scrubbed: lines may carry outputs and tracebacks. */
function scrubbedLog(log: LineLogger, scrub: (text: string) => string): LineLogger {
  return {
    debug: (m) => log.debug(scrub(m)),
    info: (m) => log.info(scrub(m)),
    warn: (m) => log.warn(scrub(m)),
    error: (m) => log.error(scrub(m)),
  };
}

/** A glob pattern that matches exactly `path` (`*`, `?` and `[` as character classes). */
export function literalGlob(path: string): string {
  return path.replace(/[*?[]/g, (c) => `[${c}]`);
}
