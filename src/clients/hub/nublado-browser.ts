/**
 * The way a bot talks to a Nublado hub and lab: like a web browser, as rubin-nublado-client
 * does. Every request carries the Gafaelfawr token (`Authorization: Bearer`, for the ingress),
 * cookies come from a {@link CookieJar}, redirects are followed by hand (collecting the cookies
 * of every hop, refusing to leave the platform's origin), and calls after a page load carry the
 * `_xsrf` cookie's value as `X-XSRFToken`.
 *
 * Why `node:http` rather than the project's fetch-based `HttpClient`: JupyterHub (≥ 4.1) and
 * its single-user servers only set the `_xsrf` cookie on requests whose `Sec-Fetch-Mode` is
 * `navigate` (or absent), and Node's fetch always overwrites that header with `cors`. A
 * fetch-based client therefore never learns an XSRF token from a real Nublado.
 * @module
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { HttpStatusError, NetworkError } from "../../errors.js";
import { stripQuery } from "../http.js";
import { CookieJar } from "./cookie-jar.js";

/** A response whose status was accepted, with its body read. */
export interface BrowserResponse {
  status: number;
  /** URL that produced this response (the end of any redirect chain). */
  url: string;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): unknown;
}

/** A response whose body is still to be read (server-sent events). */
export interface BrowserStream {
  status: number;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The body as a web stream; cancelling it closes the connection. */
  body: ReadableStream<Uint8Array>;
}

/** What a request needs besides its URL. */
export interface BrowserRequest {
  method?: string;
  /** `navigate` for page loads; `same-origin` (default) for API calls. */
  mode?: "navigate" | "same-origin";
  form?: Record<string, string>;
  accept?: string;
  /** Statuses that count as success at the end of the chain (default 200–299). */
  expect?: readonly number[];
  /** Follow redirects (default: for GET). A POST's redirect is followed with a GET, like the client. */
  follow?: boolean;
  signal: AbortSignal;
}

const MAX_REDIRECTS = 10;

/** One bot's browser: one cookie jar, one token. Make a new one to start from scratch. */
export class NubladoBrowser {
  readonly jar = new CookieJar();
  private readonly origin: string;

  constructor(
    private readonly opts: { baseUrl: string; token: string; timeoutMs: number; userAgent?: string },
  ) {
    this.origin = new URL(opts.baseUrl).origin;
  }

  /** The `_xsrf` cookie value that applies to `url` (hub and lab each have their own). */
  xsrf(url: string): string | undefined {
    return this.jar.get("_xsrf", url);
  }

  /** Send a request, following redirects as configured, storing cookies along the way. */
  async request(url: string, req: BrowserRequest): Promise<BrowserResponse> {
    const end = await this.exchange(url, req);
    const text = await readText(end.message);
    return { status: end.status, url: end.url, headers: end.message.headers, text, json: () => JSON.parse(text) as unknown };
  }

  /** Like {@link request}, but hand back the body unread, as a stream. */
  async stream(url: string, req: BrowserRequest): Promise<BrowserStream> {
    const end = await this.exchange(url, req);
    return { status: end.status, url: end.url, headers: end.message.headers, body: Readable.toWeb(end.message) as ReadableStream<Uint8Array> };
  }

  private async exchange(url: string, req: BrowserRequest): Promise<{ status: number; url: string; message: http.IncomingMessage }> {
    let method = req.method ?? "GET";
    let body = req.form ? new URLSearchParams(req.form).toString() : undefined;
    const follow = req.follow ?? method === "GET";
    const seen = new Set<string>();
    for (let hop = 0; ; hop++) {
      const res = await this.send(url, method, req, body);
      const location = res.message.headers.location;
      if (!follow || res.status < 300 || res.status >= 400 || !location) {
        const ok = req.expect ? req.expect.includes(res.status) : res.status >= 200 && res.status < 300;
        if (ok) return { status: res.status, url, message: res.message };
        const text = await readText(res.message).catch(() => "");
        throw new HttpStatusError(method, stripQuery(url), res.status, text.slice(0, 500));
      }
      res.message.resume();
      const next = new URL(location, url).toString();
      if (new URL(next).origin !== this.origin) throw new HttpStatusError(method, stripQuery(url), res.status, `redirect out of the platform to ${stripQuery(next)}`);
      if (seen.has(next) || hop >= MAX_REDIRECTS) throw new HttpStatusError(method, stripQuery(url), res.status, "redirect loop");
      seen.add(next);
      url = next;
      method = "GET";
      body = undefined;
    }
  }

  /** One HTTP exchange. The time limit covers getting the response head, not reading the body. */
  private send(url: string, method: string, req: BrowserRequest, body: string | undefined): Promise<{ status: number; message: http.IncomingMessage }> {
    const u = new URL(url);
    const headers: Record<string, string> = {
      "user-agent": this.opts.userAgent ?? "troop",
      authorization: `Bearer ${this.opts.token}`,
      "sec-fetch-mode": req.mode ?? "same-origin",
      accept: req.accept ?? (req.mode === "navigate" ? "text/html" : "application/json"),
    };
    const cookie = this.jar.header(url);
    if (cookie) headers.cookie = cookie;
    const xsrf = this.xsrf(url);
    if (xsrf) headers["x-xsrftoken"] = xsrf;
    if (req.mode !== "navigate") headers.referer = `${this.opts.baseUrl.replace(/\/+$/, "")}/nb/hub/home`;
    if (body !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const mod = u.protocol === "https:" ? https : http;
    const where = stripQuery(url);
    return new Promise((resolve, reject) => {
      if (req.signal.aborted) return reject(req.signal.reason);
      const r = mod.request(u, { method, headers });
      const timer = setTimeout(() => r.destroy(new Error(`no response within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      const onAbort = () => r.destroy(req.signal.reason instanceof Error ? req.signal.reason : new Error("aborted"));
      req.signal.addEventListener("abort", onAbort, { once: true });
      r.on("response", (message) => {
        clearTimeout(timer);
        this.jar.store(url, toArray(message.headers["set-cookie"]));
        // keep honouring the signal while the caller reads the body, then let go of it
        message.once("close", () => req.signal.removeEventListener("abort", onAbort));
        resolve({ status: message.statusCode ?? 0, message });
      });
      r.on("error", (err) => {
        clearTimeout(timer);
        req.signal.removeEventListener("abort", onAbort);
        reject(req.signal.aborted ? req.signal.reason : new NetworkError(method, where, err));
      });
      r.end(body);
    });
  }
}

function toArray(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

async function readText(message: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
