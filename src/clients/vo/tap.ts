/**
 * A narrow client for an IVOA TAP 1.1 service: synchronous queries (`POST {tap}/sync`) and
 * asynchronous ones through UWS (`POST {tap}/async` creates a job; `POST {job}/phase PHASE=RUN`
 * starts it; `GET {job}/phase` polls it; the `result` link is fetched; `PHASE=ABORT` and
 * `DELETE {job}` end it). Results come back as raw streaming responses for `readResult`.
 * Credentials travel only in the headers from `auth()`, never in URLs or messages.
 * @module
 */
import { HttpStatusError } from "../../errors.js";
import { stripQuery, type HttpClient } from "../http.js";
import { errorDocumentMessage, readBounded, VoQueryError } from "./result.js";
import { parseJob, parsePhase, type UwsJob, type UwsPhase } from "./uws.js";

/** One ADQL query and the DALI parameters Troop sets. */
export interface TapQuery {
  query: string;
  /** MAXREC; null: the service's default. */
  maxrec?: number | null | undefined;
  /** RESPONSEFORMAT; null: the service's default (a VOTable). */
  responseFormat?: string | null | undefined;
}

/** How to reach one TAP service. */
export interface TapClientOptions {
  http: HttpClient;
  /** Base URL of the service (ends in `/tap` or similar; no trailing slash needed). */
  url: string;
  /** Headers sent with every request (e.g. `authorization: Bearer …`). */
  auth: () => Record<string, string>;
}

/** Every status: the caller decides (DALI errors come with 200 or 4xx/5xx). */
const ANY_STATUS = Array.from({ length: 500 }, (_, i) => i + 100);
const JOB_DOC_LIMIT = 1_048_576;

/** A TAP service as one bot uses it. */
export class TapClient {
  readonly url: string;
  constructor(private readonly opts: TapClientOptions) {
    this.url = opts.url.replace(/\/+$/, "");
  }

  private form(q: TapQuery): Record<string, string> {
    const form: Record<string, string> = { LANG: "ADQL", REQUEST: "doQuery", QUERY: q.query };
    if (q.maxrec !== null && q.maxrec !== undefined) form.MAXREC = String(q.maxrec);
    if (q.responseFormat) form.RESPONSEFORMAT = q.responseFormat;
    return form;
  }

  /**
   * Run a synchronous query. Returns the response once its headers are in (the body is still
   * to be read); an error status throws {@link VoQueryError} with the server's message when
   * the body is a DALI error document, else `HttpStatusError`.
   */
  async sync(q: TapQuery, signal: AbortSignal): Promise<Response> {
    const url = `${this.url}/sync`;
    const res = await this.opts.http.request(url, { method: "POST", form: this.form(q), headers: this.opts.auth(), expect: ANY_STATUS, redirect: "follow", signal });
    await failOnStatus("POST", url, res.response);
    return res.response;
  }

  /** Create an async job (phase PENDING); returns the job's absolute URL. */
  async createJob(q: TapQuery, signal: AbortSignal): Promise<string> {
    const url = `${this.url}/async`;
    const res = await this.opts.http.request(url, { method: "POST", form: this.form(q), headers: this.opts.auth(), expect: ANY_STATUS, signal });
    const location = res.headers.get("location");
    if ([301, 302, 303, 307].includes(res.status) && location) {
      await res.response.body?.cancel().catch(() => undefined);
      return new URL(location, url).toString();
    }
    if (res.status === 200 || res.status === 201) {
      // some services answer with the job document itself
      const job = parseJob(await readBounded(res.response, JOB_DOC_LIMIT));
      if (location) return new URL(location, url).toString();
      if (job.jobId) return `${this.url}/async/${encodeURIComponent(job.jobId)}`;
    }
    await failOnStatus("POST", url, res.response);
    throw new HttpStatusError("POST", url, res.status, "no job URL in the answer (expected a 303 redirect to the job)");
  }

  /** Start a job: `POST {job}/phase PHASE=RUN`. */
  async run(jobUrl: string, signal: AbortSignal): Promise<void> {
    await this.setPhase(jobUrl, "RUN", signal);
  }

  /** Ask a job to stop: `POST {job}/phase PHASE=ABORT`. */
  async abort(jobUrl: string, signal: AbortSignal): Promise<void> {
    await this.setPhase(jobUrl, "ABORT", signal);
  }

  private async setPhase(jobUrl: string, phase: "RUN" | "ABORT", signal: AbortSignal): Promise<void> {
    const url = `${jobUrl}/phase`;
    const res = await this.opts.http.request(url, { method: "POST", form: { PHASE: phase }, headers: this.opts.auth(), expect: ANY_STATUS, signal });
    await res.response.body?.cancel().catch(() => undefined);
    if (res.status >= 400) throw new HttpStatusError("POST", url, res.status, `PHASE=${phase} refused`);
  }

  /** The job's phase (`GET {job}/phase`). */
  async phase(jobUrl: string, signal: AbortSignal): Promise<UwsPhase> {
    const res = await this.opts.http.request(`${jobUrl}/phase`, { headers: this.opts.auth(), redirect: "follow", signal });
    return parsePhase(await readBounded(res.response, 1024));
  }

  /** The job document (`GET {job}`). */
  async job(jobUrl: string, signal: AbortSignal): Promise<UwsJob> {
    const res = await this.opts.http.request(jobUrl, { headers: this.opts.auth(), redirect: "follow", signal });
    return parseJob(await readBounded(res.response, JOB_DOC_LIMIT));
  }

  /** Why a job ended in ERROR: the job's error summary, else its `error` document. */
  async errorMessage(jobUrl: string, job: UwsJob, signal: AbortSignal): Promise<string> {
    if (job.error) return job.error;
    const res = await this.opts.http.request(`${jobUrl}/error`, { headers: this.opts.auth(), expect: ANY_STATUS, redirect: "follow", signal });
    return (await errorDocumentMessage(res.response)) ?? "the job ended in phase ERROR without an error message";
  }

  /** Fetch the job's `result` (the first result when none has that id); redirects are followed. */
  async result(jobUrl: string, job: UwsJob, signal: AbortSignal): Promise<Response> {
    const link = job.results.find((r) => r.id === "result") ?? job.results[0];
    const url = link ? new URL(link.href, `${jobUrl}/`).toString() : `${jobUrl}/results/result`;
    const res = await this.opts.http.request(url, { headers: this.opts.auth(), expect: ANY_STATUS, redirect: "follow", signal });
    await failOnStatus("GET", url, res.response);
    return res.response;
  }

  /** Delete the job (404 counts as gone). */
  async delete(jobUrl: string, signal: AbortSignal): Promise<void> {
    const res = await this.opts.http.request(jobUrl, { method: "DELETE", headers: this.opts.auth(), expect: ANY_STATUS, signal });
    await res.response.body?.cancel().catch(() => undefined);
    if (res.status >= 400 && res.status !== 404) throw new HttpStatusError("DELETE", jobUrl, res.status, "");
  }
}

/** Throw for a 4xx/5xx: the DALI message when there is one, else the status. */
export async function failOnStatus(method: string, url: string, response: Response): Promise<void> {
  if (response.status < 400) return;
  const message = await errorDocumentMessage(response.clone()).catch(() => null);
  if (message) {
    await response.body?.cancel().catch(() => undefined);
    throw new VoQueryError(message, response.status);
  }
  const text = await readBounded(response, 500).catch(() => "");
  throw new HttpStatusError(method, stripQuery(url), response.status, text);
}
