/**
 * Fake JupyterHub as Nublado runs it, under `/nb/hub/`: login through the Gafaelfawr
 * authenticator (`/login` → `/gafaelfawr/login` sets `jupyterhub-hub-login`), pages that set
 * the `_xsrf` cookie on navigation, the spawn form, the user model, the SSE progress stream,
 * server deletion and the OAuth authorize step labs use. XSRF follows JupyterHub ≥ 4.1: pages
 * check it on non-GET methods, the API on every method (`_needs_check_xsrf` exemptions apply).
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type FakeImageCatalogue, readSpawnForm, resolveImage, spawnFormHtml } from "./images.js";
import {
  type FakeLab, type FakeNubladoState, type FakeToken, type LoginSession, type ProgressEvent,
  randomId, readBody, redirect, requestCookies, sendHtml, sendJson, setCookie, xsrfProblem,
} from "./state.js";

/** Settings the hub needs. */
export interface HubSettings {
  state: FakeNubladoState;
  images: FakeImageCatalogue;
  /** Time between spawn progress events. */
  spawnStepMs: number;
  /** How long a stop stays pending (0: immediate, DELETE answers 204). */
  stopDelayMs: number;
}

const HUB = "/nb/hub";

/** Serve `/nb/hub/*` for an ingress-authenticated user. */
export async function handleHub(s: HubSettings, req: IncomingMessage, res: ServerResponse, url: URL, token: FakeToken): Promise<void> {
  const route = url.pathname.slice(HUB.length + 1);
  const method = req.method ?? "GET";
  if (route === "login") return redirect(res, `${HUB}/gafaelfawr/login${url.search}`);
  if (route === "gafaelfawr/login") return gafaelfawrLogin(s, res, url, token);
  const login = hubLogin(s, req, token);
  if (route.startsWith("api/") && route !== "api/oauth2/authorize") {
    if (!login) return sendJson(res, 403, { status: 403, message: "Forbidden" });
    const problem = xsrfProblem(req, url, login.xsrf);
    if (problem) return sendJson(res, 403, { status: 403, message: problem });
    return hubApi(s, req, res, route, login);
  }
  if (!login) {
    if (method !== "GET") return sendHtml(res, 403, "403 Forbidden");
    return redirect(res, `${HUB}/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  }
  const body = method === "POST" ? new URLSearchParams(await readBody(req)) : undefined;
  if (method !== "GET" && method !== "HEAD") {
    const problem = xsrfProblem(req, url, login.xsrf, body);
    if (problem) return sendHtml(res, 403, "403 Forbidden", `<p>${problem}</p>`);
  }
  if (method === "GET") setXsrfCookie(req, res, login);
  const user = login.username;
  if (route === "home" && method === "GET") return sendHtml(res, 200, "Home");
  if (route === "spawn" && method === "GET") return sendHtml(res, 200, "Server Options", spawnFormHtml(s.images));
  if (route === "spawn" && method === "POST" && body) return spawn(s, res, user, body);
  if (route === `spawn-pending/${user}` && method === "GET") return sendHtml(res, 200, "Your server is starting up");
  if (route === "api/oauth2/authorize" && method === "GET") return authorize(s, res, url, user);
  const userUrl = /^user\/([^/]+)\/(.*)$/.exec(route);
  if (userUrl && method === "GET") {
    const lab = s.state.labs.get(decodeURIComponent(userUrl[1] ?? ""));
    if (lab?.running) return redirect(res, `/nb/user/${userUrl[1]}/${userUrl[2]}${url.search}`);
    return sendHtml(res, 503, "Server not running", `<p>Your server at /nb/user/${userUrl[1]}/ is not running.</p>`);
  }
  sendHtml(res, 404, "404 Not Found");
}

function hubLogin(s: HubSettings, req: IncomingMessage, token: FakeToken): LoginSession | null {
  const id = requestCookies(req).get("jupyterhub-hub-login");
  const login = id === undefined ? undefined : s.state.hubLogins.get(id);
  return login && login.username === token.username ? login : null;
}

/** Pages set the `_xsrf` cookie when navigated to (`Sec-Fetch-Mode: navigate` or none). */
function setXsrfCookie(req: IncomingMessage, res: ServerResponse, login: LoginSession): void {
  const mode = req.headers["sec-fetch-mode"] ?? "navigate";
  if (mode === "navigate" && requestCookies(req).get("_xsrf") !== login.xsrf) setCookie(res, `_xsrf=${login.xsrf}; Path=${HUB}/`);
}

function gafaelfawrLogin(s: HubSettings, res: ServerResponse, url: URL, token: FakeToken): void {
  const id = randomId();
  s.state.hubLogins.set(id, { username: token.username, xsrf: randomId() });
  setCookie(res, `jupyterhub-hub-login=${id}; Path=${HUB}/; HttpOnly`);
  setCookie(res, `jupyterhub-session-id=${randomId()}; Path=/nb/; HttpOnly`);
  const next = url.searchParams.get("next") ?? "";
  redirect(res, next.startsWith("/nb/") ? next : `${HUB}/home`);
}

function authorize(s: HubSettings, res: ServerResponse, url: URL, user: string): void {
  const client = url.searchParams.get("client_id") ?? "";
  const redirectUri = url.searchParams.get("redirect_uri") ?? "";
  const state = url.searchParams.get("state") ?? "";
  if (client !== `jupyterhub-user-${encodeURIComponent(user)}` || redirectUri !== `/nb/user/${encodeURIComponent(user)}/oauth_callback`) {
    return sendHtml(res, 403, "403 Forbidden", "<p>You do not have permission to access this server.</p>");
  }
  const code = randomId();
  s.state.oauthCodes.set(code, { username: user, state });
  redirect(res, `${redirectUri}?code=${code}&state=${encodeURIComponent(state)}`);
}

function spawn(s: HubSettings, res: ServerResponse, user: string, form: URLSearchParams): void {
  const current = s.state.labs.get(user);
  if (current?.running) return sendHtml(res, 400, "400 Bad Request", `<p>${user} is already running</p>`);
  if (current?.pending) return sendHtml(res, 400, "400 Bad Request", `<p>${user} is pending ${current.pending}</p>`);
  const read = readSpawnForm(form);
  if (!read.ok) return sendHtml(res, 400, "400 Bad Request", `<p>${read.message}</p>`);
  const image = resolveImage(s.images, read.pick);
  const lab: FakeLab = {
    running: false, pending: "spawn", image: "error" in image ? "" : image.reference,
    description: "error" in image ? "" : image.description, size: read.size, debug: read.debug,
    form: Object.fromEntries(form), events: [], failure: null, listeners: new Set(), timers: [],
    sessions: new Map(), kernels: new Map(),
  };
  s.state.labs.set(user, lab);
  const injected = s.state.spawnFailures.get(user);
  s.state.spawnFailures.delete(user);
  const failure = injected ?? ("error" in image ? image.error : null);
  const steps: ProgressEvent[] = [
    { progress: 0, message: "Server requested" },
    { progress: 2, message: `[info] Lab creation initiated for ${user}` },
    { progress: 35, message: `[info] Pulling image ${lab.image || read.pick.value}` },
    { progress: 75, message: `[info] Lab Kubernetes pod ${user} started` },
  ];
  const last = failure === null ? steps.length : 3;
  steps.slice(0, last).forEach((event, i) => {
    lab.timers.push(setTimeout(() => emit(lab, event), i * s.spawnStepMs));
  });
  lab.timers.push(setTimeout(() => {
    lab.pending = null;
    if (failure !== null) {
      lab.failure = `Spawn failed: ${failure}`;
      return finish(lab, { progress: 100, failed: true, message: lab.failure });
    }
    lab.running = true;
    const url = `/nb/user/${user}/`;
    finish(lab, { progress: 100, ready: true, message: `Server ready at ${url}`, html_message: `Server ready at <a href="${url}">${url}</a>`, url });
  }, last * s.spawnStepMs));
  redirect(res, `${HUB}/spawn-pending/${encodeURIComponent(user)}`);
}

function emit(lab: FakeLab, event: ProgressEvent): void {
  lab.events.push(event);
  for (const l of lab.listeners) l(event);
}

function finish(lab: FakeLab, event: ProgressEvent): void {
  for (const l of lab.listeners) {
    l(event);
    l(null);
  }
  lab.listeners.clear();
}

/** Stop a lab: kernels disconnected, sessions gone, timers cancelled. */
export function stopLab(lab: FakeLab, stopDelayMs: number): "done" | "pending" {
  for (const t of lab.timers) clearTimeout(t);
  lab.timers = [];
  if (lab.pending === "spawn") finish(lab, { progress: 100, failed: true, message: "Spawn cancelled" });
  for (const k of lab.kernels.values()) for (const ws of k.sockets) ws.terminate();
  lab.kernels.clear();
  lab.sessions.clear();
  lab.running = false;
  lab.failure = null;
  if (stopDelayMs <= 0) {
    lab.pending = null;
    return "done";
  }
  lab.pending = "stop";
  lab.timers.push(setTimeout(() => (lab.pending = null), stopDelayMs));
  return "pending";
}

function hubApi(s: HubSettings, req: IncomingMessage, res: ServerResponse, route: string, login: LoginSession): void {
  const m = /^api\/users\/([^/]+)(\/server(\/progress)?)?$/.exec(route);
  const name = m ? decodeURIComponent(m[1] ?? "") : "";
  if (!m || name !== login.username) return sendJson(res, 404, { status: 404, message: "No access to resources or resources not found" });
  const lab = s.state.labs.get(name);
  if (!m[2] && req.method === "GET") return sendJson(res, 200, userModel(name, lab));
  if (m[2] && !m[3] && req.method === "DELETE") {
    const status = lab?.pending === "stop" ? 202 : lab && (lab.running || lab.pending) ? (stopLab(lab, s.stopDelayMs) === "done" ? 204 : 202) : 204;
    res.writeHead(status, { "content-type": "text/plain" });
    return void res.end();
  }
  if (m[3] && req.method === "GET") return progress(res, name, lab);
  sendJson(res, 405, { status: 405, message: "Method Not Allowed" });
}

function userModel(name: string, lab: FakeLab | undefined): Record<string, unknown> {
  const active = !!lab && (lab.running || lab.pending !== null);
  const url = `/nb/user/${name}/`;
  const server = lab && active
    ? { name: "", ready: lab.running, pending: lab.pending, stopped: false, url, progress_url: `${HUB}/api/users/${name}/server/progress`, user_options: lab.form, state: null }
    : null;
  return {
    kind: "user", name, admin: false, groups: [], roles: ["user"],
    server: lab?.running ? url : null, pending: lab?.pending ?? null,
    servers: server ? { "": server } : {},
  };
}

function progress(res: ServerResponse, name: string, lab: FakeLab | undefined): void {
  if (!lab) return sendJson(res, 404, { status: 404, message: "Not Found" });
  if (!lab.running && lab.pending !== "spawn" && !lab.failure) return sendJson(res, 400, { status: 400, message: `${name} is not starting...` });
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send = (e: ProgressEvent) => res.write(`data: ${JSON.stringify(e)}\n\n`);
  if (lab.running) {
    send({ progress: 100, ready: true, message: `Server ready at /nb/user/${name}/`, url: `/nb/user/${name}/` });
    return void res.end();
  }
  if (lab.failure) {
    send({ progress: 100, failed: true, message: lab.failure });
    return void res.end();
  }
  for (const e of lab.events) send(e);
  const listener = (e: ProgressEvent | null) => (e ? send(e) : res.end());
  lab.listeners.add(listener);
  res.on("close", () => lab.listeners.delete(listener));
}
