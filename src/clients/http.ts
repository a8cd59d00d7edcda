/**
 * The one HTTP helper every client uses: fetch with a signal, status checking and errors that
 * never carry a credential (URLs are built without tokens; headers are never logged).
 * @module
 */
import { HttpStatusError, NetworkError } from "../errors.js";

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** JSON body (serialised here) — or use `form` / `text`. */
  json?: unknown;
  form?: Record<string, string>;
  signal: AbortSignal;
  /** Statuses that count as success; default 200–299. */
  expect?: readonly number[];
  /** Do not follow redirects (default: manual, so a redirect is visible to the caller). */
  redirect?: "manual" | "follow";
}

/** A response already checked against `expect`. */
export interface CheckedResponse {
  status: number;
  headers: Headers;
  response: Response;
  json<T = unknown>(): Promise<T>;
  text(): Promise<string>;
}

/** Thin wrapper over `fetch`. One instance per process (built in the composition root). */
export class HttpClient {
  constructor(private readonly userAgent = "troop") {}

  async request(url: string, opts: RequestOptions): Promise<CheckedResponse> {
    const method = opts.method ?? "GET";
    const headers: Record<string, string> = { "user-agent": this.userAgent, ...opts.headers };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(opts.form).toString();
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: opts.signal, redirect: opts.redirect ?? "manual" });
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason ?? err;
      throw new NetworkError(method, stripQuery(url), err);
    }
    const ok = opts.expect ? opts.expect.includes(response.status) : response.status >= 200 && response.status < 300;
    if (!ok) {
      const text = await response.text().catch(() => "");
      throw new HttpStatusError(method, stripQuery(url), response.status, text.slice(0, 500));
    }
    return {
      status: response.status,
      headers: response.headers,
      response,
      json: async <T>() => (await response.json()) as T,
      text: () => response.text(),
    };
  }
}

/** URL without its query string, for messages (a query could hold a token). */
export function stripQuery(url: string): string {
  const i = url.indexOf("?");
  return i < 0 ? url : url.slice(0, i);
}
