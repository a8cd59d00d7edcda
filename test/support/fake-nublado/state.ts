/**
 * State of the fake Nublado platform (Gafaelfawr tokens, hub logins, labs, lab sessions and
 * kernels), plus small HTTP helpers the fake's route modules share.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import type { WebSocket } from "ws";
import type { Py } from "./python-expr.js";

/** A Gafaelfawr token as the fake stores it. */
export interface FakeToken {
  key: string;
  secret: string;
  username: string;
  tokenType: "service" | "user" | "session";
  scopes: string[];
  /** Epoch ms, or null for no expiry. */
  expires: number | null;
  name?: string | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
  groups: { name: string; id: number }[];
}

/** One spawn progress event as JupyterHub sends it. */
export interface ProgressEvent {
  progress: number;
  message: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
  html_message?: string;
}

/** A kernel of a fake lab. */
export interface FakeKernel {
  id: string;
  name: string;
  executionCount: number;
  sockets: Set<WebSocket>;
  /** Interrupts the execution in progress, if any. */
  interrupt: (() => void) | null;
  /** Executions wait here so a kernel runs one cell at a time. */
  queue: Promise<void>;
  /** Python variables (kept across cells, like a real kernel). */
  vars: Map<string, Py>;
}

/** A jupyter-server session. */
export interface FakeSession {
  id: string;
  path: string;
  name: string;
  type: string;
  kernel: FakeKernel;
}

/** A user's default server. `running` means ready; `pending` is JupyterHub's pending state. */
export interface FakeLab {
  running: boolean;
  pending: "spawn" | "stop" | null;
  /** Image reference with digest (what `JUPYTER_IMAGE_SPEC` holds). */
  image: string;
  /** Human description (`IMAGE_DESCRIPTION`). */
  description: string;
  size: string;
  debug: boolean;
  /** The spawn form as posted (one value per field). */
  form: Record<string, string>;
  /** Progress events so far; the spawn's failure message once it failed. */
  events: ProgressEvent[];
  failure: string | null;
  /** SSE listeners: called with each new event, then with null at the end. */
  listeners: Set<(event: ProgressEvent | null) => void>;
  timers: NodeJS.Timeout[];
  sessions: Map<string, FakeSession>;
  kernels: Map<string, FakeKernel>;
}

/** A login session (hub cookie, or a lab's cookie): who, and the XSRF token bound to it. */
export interface LoginSession {
  username: string;
  xsrf: string;
}

/** Everything the fake knows; tests may read and change it. */
export interface FakeNubladoState {
  /** Gafaelfawr tokens by key (the admin token included). */
  tokens: Map<string, FakeToken>;
  /** Keys of revoked tokens, in order. */
  revoked: string[];
  /** Labs by username (entries stay after deletion, with `running: false`). */
  labs: Map<string, FakeLab>;
  /** Hub login cookies (`jupyterhub-hub-login`). */
  hubLogins: Map<string, LoginSession>;
  /** Lab login cookies (`jupyterhub-user-{name}`), value → session. */
  labLogins: Map<string, LoginSession>;
  /** OAuth `state` values handed out by labs, with where to return. */
  oauthStates: Map<string, { username: string; next: string }>;
  /** OAuth codes issued by the hub's authorize endpoint. */
  oauthCodes: Map<string, { username: string; state: string }>;
  /** Spawn failures to inject: username → message (used once). */
  spawnFailures: Map<string, string>;
  /** One line per request: `METHOD /path STATUS`. */
  requests: string[];
}

/** A new empty state. */
export function emptyState(): FakeNubladoState {
  return {
    tokens: new Map(),
    revoked: [],
    labs: new Map(),
    hubLogins: new Map(),
    labLogins: new Map(),
    oauthStates: new Map(),
    oauthCodes: new Map(),
    spawnFailures: new Map(),
    requests: [],
  };
}

/** Random URL-safe base64 of `bytes` bytes, unpadded (Gafaelfawr's key/secret format at 16). */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

/** Cookies of a request as a name → value map (the first of duplicates wins, as tornado's reader). */
export function requestCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) out.set(name, part.slice(i + 1).trim());
  }
  return out;
}

/** Add a `Set-Cookie` header (keeping earlier ones). */
export function setCookie(res: ServerResponse, cookie: string): void {
  const prev = res.getHeader("set-cookie");
  const list = Array.isArray(prev) ? prev : prev === undefined ? [] : [String(prev)];
  res.setHeader("set-cookie", [...list, cookie]);
}

/** Send a JSON reply. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Send an HTML page. */
export function sendHtml(res: ServerResponse, status: number, title: string, body = ""): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`);
}

/** Redirect (302 by default). */
export function redirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { location });
  res.end();
}

/** Read a request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * JupyterHub's rule (`_xsrf_utils._needs_check_xsrf`) for a cookie-authenticated request:
 * websockets, and reads in `navigate` (or unspecified) fetch mode, need no XSRF token.
 */
export function needsXsrf(req: IncomingMessage): boolean {
  const mode = String(req.headers["sec-fetch-mode"] ?? "unspecified");
  const readOnly = ["GET", "HEAD", "OPTIONS"].includes(req.method ?? "GET");
  return !(mode === "websocket" || ((mode === "navigate" || mode === "unspecified") && readOnly));
}

/** The XSRF token a request presents (`_xsrf` query argument or `X-XSRFToken`/`X-CSRFToken`). */
export function presentedXsrf(req: IncomingMessage, url: URL, form?: URLSearchParams): string | undefined {
  return url.searchParams.get("_xsrf") ?? form?.get("_xsrf") ?? header(req, "x-xsrftoken") ?? header(req, "x-csrftoken");
}

/** A single request header value. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Why an XSRF check fails (JupyterHub's messages), or null when it passes. The token must
 * equal both the session's token and the `_xsrf` cookie sent along (tornado derives the
 * expected token from that cookie).
 */
export function xsrfProblem(req: IncomingMessage, url: URL, expected: string, form?: URLSearchParams): string | null {
  if (!needsXsrf(req)) return null;
  const token = presentedXsrf(req, url, form);
  if (!token) return `'_xsrf' argument missing from ${req.method}`;
  const ok = token === expected && requestCookies(req).get("_xsrf") === expected;
  return ok ? null : `XSRF cookie does not match ${req.method} argument`;
}
