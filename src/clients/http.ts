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

/**
 * Most requests waiting for their response headers at once, per origin; the others wait their
 * turn (in order, still bounded by their signal). The global `fetch`'s connection pool has no
 * per-origin limit and looks for a free connection by scanning every one it holds, so with
 * 10,000 monkeys logging in or stopping at once each request scanned thousands of connections
 * (undici's `Pool` was the top frame of the 10,000-monkey profile, docs/performance-notes.md)
 * and the process ran short of file descriptors. mobu's httpx client allows 100 connections.
 * A slot is released when the headers arrive, so a streamed body (spawn progress) holds none.
 */
export const MAX_IN_FLIGHT_PER_ORIGIN = 256;

/** Requests in flight to one origin and those waiting for a slot. */
interface Gate {
  active: number;
  waiting: (() => void)[];
}

/** Thin wrapper over `fetch`. One instance per process (built in the composition root). */
export class HttpClient {
  private readonly gates = new Map<string, Gate>();

  constructor(
    private readonly userAgent = "troop",
    private readonly maxInFlightPerOrigin = MAX_IN_FLIGHT_PER_ORIGIN,
  ) {}

  private acquire(url: string, signal: AbortSignal): Promise<() => void> | (() => void) {
    return acquireSlot(this.gates, this.maxInFlightPerOrigin, url, signal);
  }

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
    const release = await this.acquire(url, opts.signal);
    try {
      response = await fetch(url, { method, headers, body, signal: opts.signal, redirect: opts.redirect ?? "manual" });
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason ?? err;
      throw new NetworkError(method, stripQuery(url), err);
    } finally {
      release();
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

/** A slot for a request to `url`'s origin (waiting, in order, if all are taken); resolves with its release. */
function acquireSlot(gates: Map<string, Gate>, max: number, url: string, signal: AbortSignal): Promise<() => void> | (() => void) {
  const origin = originOf(url);
  let gate = gates.get(origin);
  if (!gate) gates.set(origin, (gate = { active: 0, waiting: [] }));
  const g = gate;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const next = g.waiting.shift();
    if (next) next(); // the slot passes to the next in line
    else if (--g.active === 0) gates.delete(origin);
  };
  if (g.active < max) {
    g.active++;
    return release;
  }
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      const i = g.waiting.indexOf(turn);
      if (i >= 0) g.waiting.splice(i, 1);
      reject(signal.reason);
    };
    const turn = () => {
      signal.removeEventListener("abort", onAbort);
      resolve(release);
    };
    g.waiting.push(turn);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** `scheme://host:port` of a URL (the key of the per-origin limit). */
function originOf(url: string): string {
  const end = url.indexOf("/", url.indexOf("//") + 2);
  return end < 0 ? url : url.slice(0, end);
}

/** Replace the user/password part of every URL in `text` with `***`. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1***@");
}

/** URL without its query string, for messages (a query could hold a token). */
export function stripQuery(url: string): string {
  const i = url.indexOf("?");
  return i < 0 ? url : url.slice(0, i);
}
