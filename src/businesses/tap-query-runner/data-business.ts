/**
 * What the TAP and SIA businesses share: finding the service URL for `dataset`, the bearer
 * token (see `credentials.ts`), the query clock (`query_timeout`), phases whose VO errors
 * become classified failures, and the per-execution record (`details`: query, rows, bytes,
 * timeline; an OVERFLOW becomes a note).
 * @module
 */
import type { ResultSummary } from "../../clients/vo/result.js";
import { VoQueryError } from "../../clients/vo/result.js";
import { VoProtocolError } from "../../clients/vo/votable.js";
import { serviceUrl } from "../../config/data-services.js";
import { formatMs, MonkeyError, PhaseTimeoutError, type MonkeyContext } from "../../errors.js";
import { Business } from "../base.js";
import type { BaseOptions } from "../options.js";
import { DataCredentials } from "./credentials.js";

/** Options every data business has. */
export interface DataOptions extends BaseOptions {
  dataset: string;
  query_timeout: number | null;
  max_rows: number | null;
  response_format: string | null;
}

/** Limit of one query when `query_timeout` is null. */
export const DEFAULT_QUERY_LIMIT_MS = 3_600_000;
/** Limit of each bookkeeping request (mint a token, abort or delete a job). */
export const REQUEST_LIMIT_MS = 60_000;
/** Longest query text kept in an execution record. */
export const QUERY_RECORD_LIMIT = 2000;

type Detail = string | number | boolean | null;

/** A VO client error as a classified failure of `phase`. */
export function voFailure(err: unknown, phase: string, context: MonkeyContext): unknown {
  if (err instanceof VoQueryError) {
    return new MonkeyError({ phase, failureClass: "query_error", message: `the service reported an error${err.httpStatus === 200 ? "" : ` (HTTP ${err.httpStatus})`}: ${err.message}`, context, cause: err });
  }
  if (err instanceof VoProtocolError) return new MonkeyError({ phase, failureClass: "protocol_error", message: err.message, context, cause: err });
  return err;
}

/** Base of the TAP and SIA businesses. */
export abstract class DataBusiness<O extends DataOptions> extends Business<O> {
  /** Which block of the service config (`tap` or `sia`) holds the service. */
  protected abstract readonly serviceKind: "tap" | "sia";
  /** URL of the service for `dataset` (set by startup). */
  protected url = "";
  private credentials: DataCredentials | null = null;
  private deadline = 0;
  private details: Record<string, Detail> = {};

  /** Hook: after the URL and token are known (e.g. load a query set). */
  protected async prepare(): Promise<void> {}

  protected override async startup(): Promise<void> {
    const service = this.ctx.dataServices?.[this.serviceKind];
    const url = service ? serviceUrl(service, this.options.dataset) : null;
    if (!service || !url) {
      const key = this.serviceKind;
      throw new MonkeyError({ phase: "startup", failureClass: "internal", message: `no ${key.toUpperCase()} URL for dataset ${this.options.dataset}: set ${key}.url (TROOP_${key.toUpperCase()}_URL) or ${key}.datasets.${this.options.dataset}${service?.discovered ? ", or have the service-discovery document list it" : ""}`, context: this.context() });
    }
    this.url = url;
    if (!this.credentials) {
      const { platform, user } = this.ctx;
      this.credentials = DataCredentials.mints(platform)
        ? await this.phase("service_token", REQUEST_LIMIT_MS, (s) => DataCredentials.open(platform, user, service.token, s))
        : await DataCredentials.open(platform, user, service.token, AbortSignal.timeout(REQUEST_LIMIT_MS));
      this.ctx.log.info(`sending ${this.credentials.source === "none" ? "no token" : `a ${this.credentials.source} bearer token`} to ${this.serviceKind.toUpperCase()} at ${url}`);
    }
    await this.prepare();
  }

  protected override async close(): Promise<void> {
    const credentials = this.credentials;
    this.credentials = null;
    await credentials?.close(AbortSignal.timeout(REQUEST_LIMIT_MS));
  }

  /** Headers with the bearer token, if any. */
  protected auth(): Record<string, string> {
    return this.credentials?.headers() ?? {};
  }

  /** Start the query clock (`query_timeout`, or an hour) and a fresh record. */
  protected startQuery(fields: Record<string, Detail>): void {
    this.deadline = Date.now() + this.queryLimit;
    this.details = {};
    this.record({ dataset: this.options.dataset, service: this.url, max_rows: this.options.max_rows, response_format: this.options.response_format, ...fields });
  }

  private get queryLimit(): number {
    return this.options.query_timeout ?? DEFAULT_QUERY_LIMIT_MS;
  }

  /** Time left on the query clock. */
  protected remaining(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /** The failure for a query that overran `query_timeout` in `phase`. */
  protected queryTimeout(phase: string, after = ""): MonkeyError {
    const what = this.options.query_timeout === null ? "the 1h limit of a query (query_timeout: null)" : `query_timeout (${formatMs(this.queryLimit)})`;
    return new MonkeyError({ phase, failureClass: "timeout", message: `query not finished within ${what}${after}`, context: this.context() });
  }

  /**
   * A phase of the query: bounded by the query clock (or `limitMs`), its VO errors classified,
   * its duration recorded as `<name>_ms`. Overrunning the clock fails with class timeout.
   */
  protected async queryPhase<T>(name: string, fn: (signal: AbortSignal) => Promise<T>, opts: { limitMs?: number; ignoreStop?: boolean } = {}): Promise<T> {
    const started = Date.now();
    try {
      return await this.phase(
        name,
        opts.limitMs ?? this.remaining(),
        (signal) => fn(signal).catch((err: unknown) => Promise.reject(voFailure(err, name, this.context()))),
        { ignoreStop: opts.ignoreStop ?? false },
      );
    } catch (err) {
      if (err instanceof PhaseTimeoutError && opts.limitMs === undefined) throw this.queryTimeout(name);
      throw err;
    } finally {
      this.record({ [`${name}_ms`]: Date.now() - started });
    }
  }

  /** Merge figures into this execution's `details`. */
  protected record(fields: Record<string, Detail>): void {
    this.details = { ...this.details, ...fields };
    this.annotate({ details: this.details });
  }

  /** Record what a result held; QUERY_STATUS=OVERFLOW is a success with a note. */
  protected recordResult(r: ResultSummary): void {
    this.record({ rows: r.rows, bytes: r.bytes, content_type: r.contentType, serialization: r.serialization, query_status: r.status });
    if (r.status === "OVERFLOW") {
      const limit = this.options.max_rows === null ? "" : `, MAXREC=${this.options.max_rows}`;
      this.annotate({ note: `result truncated by the service (QUERY_STATUS=OVERFLOW${limit})${r.message ? `: ${r.message.slice(0, 300)}` : ""}` });
    } else if (r.uncounted) this.annotate({ note: r.uncounted });
    this.ctx.log.info(`${r.rows ?? "?"} rows, ${r.bytes} bytes${r.status ? `, QUERY_STATUS=${r.status}` : ""}`);
  }
}
