/**
 * The TAP runner shared by TAPQueryRunner and TAPQuerySetRunner: each iteration takes the next
 * query from the subclass and runs it synchronously (`submit` = POST /sync until the headers,
 * `fetch` = reading the result) or as a UWS job (`submit` = create + PHASE=RUN, `queue_wait`,
 * `run`, `fetch`, `delete_job`). A job still unfinished at `query_timeout` is aborted
 * (`abort_job`) and the iteration fails with class timeout; every job is deleted, also on
 * failure or stop.
 * @module
 */
import { readResult } from "../../clients/vo/result.js";
import { TapClient, type TapQuery } from "../../clients/vo/tap.js";
import { FINAL_PHASES, WAITING_PHASES, type UwsPhase } from "../../clients/vo/uws.js";
import { MonkeyError } from "../../errors.js";
import { DataBusiness, QUERY_RECORD_LIMIT, REQUEST_LIMIT_MS } from "./data-business.js";
import type { TapOptions } from "./options.js";

/** First poll delay of an async job; each next one is 1.5× longer, up to {@link POLL_MAX_MS}. */
export const POLL_FIRST_MS = 100;
export const POLL_MAX_MS = 2000;

/** A query to run and the name it is recorded under (template name, or index in `queries`). */
export interface NamedQuery {
  name: string;
  query: string;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => (signal.removeEventListener("abort", onAbort), resolve());
    const onAbort = () => (clearTimeout(handle), reject(signal.reason));
    const handle = setTimeout(done, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Base of the TAP businesses: subclasses only say which query comes next. */
export abstract class TapBusiness<O extends TapOptions> extends DataBusiness<O> {
  protected readonly serviceKind = "tap" as const;
  private client: TapClient | null = null;

  /** Hook: the next query to run. */
  protected abstract nextQuery(): NamedQuery;

  protected override async startup(): Promise<void> {
    await super.startup();
    this.client = new TapClient({ http: this.ctx.http, url: this.url, auth: () => this.auth() });
  }

  protected async execute(): Promise<void> {
    const q = this.nextQuery();
    this.startQuery({ query: q.query.slice(0, QUERY_RECORD_LIMIT), query_name: q.name, mode: this.options.sync ? "sync" : "async" });
    this.ctx.log.info(`query ${q.name}: ${q.query.replace(/\s+/g, " ").slice(0, 300)}`);
    const query: TapQuery = { query: q.query, maxrec: this.options.max_rows, responseFormat: this.options.response_format };
    if (this.options.sync) await this.runSync(query);
    else await this.runAsync(query);
  }

  private async runSync(q: TapQuery): Promise<void> {
    const client = this.client!;
    const response = await this.queryPhase("submit", (s) => client.sync(q, s));
    this.recordResult(await this.queryPhase("fetch", (s) => readResult(response, s)));
  }

  private async runAsync(q: TapQuery): Promise<void> {
    const client = this.client!;
    let jobUrl: string | null = null;
    let failed = false;
    try {
      await this.queryPhase("submit", async (s) => {
        jobUrl = await client.createJob(q, s);
        this.record({ job_id: jobUrl.split("/").pop() ?? jobUrl, job_url: jobUrl });
        await client.run(jobUrl, s);
      });
      const url = jobUrl!;
      let phase = await this.waitFor("queue_wait", url, WAITING_PHASES);
      if (!FINAL_PHASES.has(phase)) phase = await this.waitFor("run", url, new Set(["EXECUTING", "SUSPENDED", "UNKNOWN"]));
      this.record({ uws_phase: phase });
      if (phase !== "COMPLETED") {
        const message = await this.queryPhase("job_error", async (s) => (phase === "ERROR" ? client.errorMessage(url, await client.job(url, s), s) : null), { limitMs: REQUEST_LIMIT_MS });
        const failureClass = phase === "ERROR" ? "query_error" : "protocol_error";
        throw new MonkeyError({ phase: "run", failureClass, message: message ? `the service reported an error: ${message}` : `the job ended in phase ${phase}`, context: this.context() });
      }
      this.recordResult(await this.queryPhase("fetch", async (s) => readResult(await client.result(url, await client.job(url, s), s), s)));
    } catch (err) {
      failed = true;
      if (jobUrl && err instanceof MonkeyError && err.failureClass === "timeout" && (err.phase === "queue_wait" || err.phase === "run")) {
        const url: string = jobUrl;
        await this.queryPhase("abort_job", (s) => client.abort(url, s), { limitMs: REQUEST_LIMIT_MS, ignoreStop: true }).catch((e: unknown) => this.ctx.log.warn(`could not abort job ${url}: ${(e as Error).message}`));
        throw this.queryTimeout(err.phase, "; the job was aborted");
      }
      throw err;
    } finally {
      if (jobUrl) {
        const url: string = jobUrl;
        await this.queryPhase("delete_job", (s) => client.delete(url, s), { limitMs: REQUEST_LIMIT_MS, ignoreStop: true }).catch((e: unknown) => {
          if (!failed && !this.stopping) throw e; // a job we cannot delete is a failure of its own
          this.ctx.log.warn(`could not delete job ${url}: ${(e as Error).message}`);
        });
      }
    }
  }

  /** Poll the job's phase with backoff while it is in `waiting`; returns the phase it moved to. */
  private waitFor(name: "queue_wait" | "run", jobUrl: string, waiting: ReadonlySet<UwsPhase>): Promise<UwsPhase> {
    const client = this.client!;
    return this.queryPhase(name, async (signal) => {
      let wait = POLL_FIRST_MS;
      for (;;) {
        const phase = await client.phase(jobUrl, signal);
        if (!waiting.has(phase)) return phase;
        await delay(wait, signal);
        wait = Math.min(POLL_MAX_MS, wait * 1.5);
      }
    });
  }
}
