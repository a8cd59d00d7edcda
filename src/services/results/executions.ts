/**
 * Reading the execution history for the API: a flock's executions page by page (newest first,
 * cursor = the last id of the previous page) and one execution with everything stored. Reads
 * flush the write-behind queue first, so a record a monkey produced is visible at once.
 * @module
 */
import { issuesToLocations } from "../../config/issues.js";
import { ApiError, executionNotFound, flockNotFound } from "../../errors.js";
import { executionQuerySchema, type ExecutionDetail, type ExecutionItem, type ExecutionPage } from "../../models/results.js";
import type { HistoryStore, StoredExecution } from "../../store/history-types.js";

/** Builds the links of an execution: absolute under `publicBaseUrl`, else relative to the prefix. */
export class LinkBuilder {
  private readonly base: string;

  constructor(opts: { publicBaseUrl?: string | undefined; pathPrefix: string }) {
    this.base = opts.publicBaseUrl ? opts.publicBaseUrl.replace(/\/+$/, "") : opts.pathPrefix;
  }

  /** True when links are absolute (usable from Slack). */
  get absolute(): boolean {
    return /^https?:\/\//.test(this.base);
  }

  execution(id: string): string {
    return `${this.base}/executions/${encodeURIComponent(id)}`;
  }

  /** The execution's page in the dashboard (`/ui/executions/{id}`), for people (Slack alerts). */
  dashboardExecution(id: string): string {
    return `${this.base}/ui/executions/${encodeURIComponent(id)}`;
  }

  monkeyLog(flock: string | null, monkey: string): string | null {
    return flock === null ? null : `${this.base}/flocks/${encodeURIComponent(flock)}/monkeys/${encodeURIComponent(monkey)}/log`;
  }

  artifact(id: string | null): string | null {
    return id === null ? null : `${this.base}/artifacts/${encodeURIComponent(id)}`;
  }
}

export interface ExecutionQueriesDeps {
  history: HistoryStore;
  /** Whether a flock of that name is running now. */
  isRunning(flock: string): boolean;
  links: LinkBuilder;
}

/** The history API's service. */
export class ExecutionQueries {
  constructor(private readonly deps: ExecutionQueriesDeps) {}

  /** A page of a flock's executions; `query` is the raw query string. 404 for an unknown flock. */
  async list(flock: string, query: Record<string, string | undefined>): Promise<ExecutionPage> {
    return this.page(flock, query);
  }

  /** A page of the solitary runs (`POST /run`, stored with flock null), same query as {@link list}. */
  listSolitary(query: Record<string, string | undefined>): Promise<ExecutionPage> {
    return this.page(null, query);
  }

  private async page(flock: string | null, query: Record<string, string | undefined>): Promise<ExecutionPage> {
    const parsed = executionQuerySchema.safeParse(query);
    if (!parsed.success) throw new ApiError({ code: "invalid_request", status: 422, message: "Invalid query", errors: issuesToLocations(parsed.error.issues) });
    const q = parsed.data;
    await this.deps.history.flush();
    if (flock !== null && !this.deps.isRunning(flock) && !(await this.deps.history.hasFlock(flock))) throw flockNotFound(flock);
    const { rows, nextBefore } = await this.deps.history.list({
      flock,
      result: q.result,
      monkey: q.monkey,
      failureClass: q.failure_class,
      since: q.since === undefined ? undefined : Date.parse(q.since),
      until: q.until === undefined ? undefined : Date.parse(q.until),
      before: q.cursor,
      limit: q.limit,
    });
    return { executions: rows.map((r) => executionItem(r, this.deps.links)), next_cursor: nextBefore };
  }

  /** One execution with its full record and the stored JSON. */
  async get(id: string): Promise<ExecutionDetail> {
    await this.deps.history.flush();
    const row = await this.deps.history.get(id);
    if (!row) throw executionNotFound(id);
    return { ...executionItem(row, this.deps.links), record: row.record, raw: row.raw };
  }
}

/** A stored execution as the API lists it (indexed columns, phases, links). */
export function executionItem(r: StoredExecution, links: LinkBuilder): ExecutionItem {
  const rec = r.record;
  return {
    id: r.id,
    flock: r.flock,
    monkey: r.monkey,
    business: r.business,
    started_at: rec.started_at,
    ended_at: rec.ended_at,
    duration_ms: r.duration_ms,
    result: r.result,
    error: rec.error ? { phase: rec.error.phase, failure_class: rec.error.failure_class, exception: rec.error.exception, message: rec.error.message } : null,
    notebook: r.notebook,
    cell_number: r.cell_number,
    image: rec.image ? { tag: rec.image.tag, type: rec.image.type, version: rec.image.version } : null,
    commit: r.repo_commit,
    artifact: r.artifact,
    phases: rec.phases,
    links: { self: links.execution(r.id), monkey_log: links.monkeyLog(r.flock, r.monkey), artifact: links.artifact(r.artifact) },
  };
}
