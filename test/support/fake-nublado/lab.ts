/**
 * Fake single-user server (a Nublado lab) under `/nb/user/{name}/`: the proxy sends requests
 * for a stopped lab to the hub (`/nb/hub/user/...`); a running lab logs the browser in through
 * the hub's OAuth (`oauth_callback` sets `jupyterhub-user-{name}`), sets its own `_xsrf` cookie
 * on page loads and serves the jupyter-server REST API (kernelspecs, sessions, kernels,
 * interrupt) and the kernel websocket. Cookie authentication is refused when the XSRF check
 * fails, as JupyterHub's `HubOAuth._get_user_cookie` does.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import type { WebSocketServer } from "ws";
import { newKernel, serveKernelSocket } from "./kernel.js";
import {
  type FakeLab, type FakeNubladoState, type FakeSession, type FakeToken, type LoginSession,
  randomId, readBody, redirect, requestCookies, sendHtml, sendJson, setCookie, xsrfProblem,
} from "./state.js";

/** The lab's only kernelspec, like mobu's hard-coded kernel name. */
const KERNEL = "LSST";

/** Who is logged in to `username`'s lab with this request, or null (XSRF checked when needed). */
function labLogin(state: FakeNubladoState, req: IncomingMessage, url: URL, username: string, token: FakeToken): LoginSession | null {
  const id = requestCookies(req).get(`jupyterhub-user-${encodeURIComponent(username)}`);
  const login = id === undefined ? undefined : state.labLogins.get(id);
  if (!login || login.username !== token.username || login.username !== username) return null;
  return xsrfProblem(req, url, login.xsrf) ? null : login;
}

/** Serve `/nb/user/{username}/{rest}` for an ingress-authenticated user. */
export async function handleLab(state: FakeNubladoState, req: IncomingMessage, res: ServerResponse, url: URL, token: FakeToken, username: string, rest: string): Promise<void> {
  const lab = state.labs.get(username);
  const base = `/nb/user/${encodeURIComponent(username)}/`;
  if (!lab?.running) return redirect(res, `/nb/hub/user/${encodeURIComponent(username)}/${rest}${url.search}`);
  if (rest === "oauth_callback") return oauthCallback(state, req, res, url, username, base);
  const login = labLogin(state, req, url, username, token);
  if (rest.startsWith("api/")) {
    if (!login) return sendJson(res, 403, { message: "Forbidden", reason: null });
    return labApi(lab, req, res, rest.slice(4));
  }
  if (!login) {
    const state_ = randomId();
    state.oauthStates.set(state_, { username, next: url.pathname + url.search });
    setCookie(res, `jupyterhub-user-${encodeURIComponent(username)}-oauth-state=${state_}; Path=${base}; HttpOnly`);
    const q = new URLSearchParams({ client_id: `jupyterhub-user-${username}`, redirect_uri: `${base}oauth_callback`, response_type: "code", state: state_ });
    return redirect(res, `/nb/hub/api/oauth2/authorize?${q.toString()}`);
  }
  if ((rest === "lab" || rest === "" || rest === "tree") && req.method === "GET") {
    const mode = req.headers["sec-fetch-mode"] ?? "navigate";
    if (mode === "navigate" && requestCookies(req).get("_xsrf") !== login.xsrf) setCookie(res, `_xsrf=${login.xsrf}; Path=${base}`);
    return sendHtml(res, 200, "JupyterLab");
  }
  sendHtml(res, 404, "404 Not Found");
}

function oauthCallback(state: FakeNubladoState, req: IncomingMessage, res: ServerResponse, url: URL, username: string, base: string): void {
  const cookieName = `jupyterhub-user-${encodeURIComponent(username)}-oauth-state`;
  const st = url.searchParams.get("state") ?? "";
  const code = url.searchParams.get("code") ?? "";
  const issued = state.oauthCodes.get(code);
  const pending = state.oauthStates.get(st);
  if (!st || requestCookies(req).get(cookieName) !== st || !pending) return sendHtml(res, 400, "400 Bad Request", "<p>OAuth state mismatch</p>");
  if (!issued || issued.state !== st || issued.username !== username) return sendHtml(res, 403, "403 Forbidden", "<p>Invalid OAuth code</p>");
  state.oauthCodes.delete(code);
  state.oauthStates.delete(st);
  const id = randomId();
  state.labLogins.set(id, { username, xsrf: randomId() });
  setCookie(res, `${cookieName}=; Path=${base}; Max-Age=0`);
  setCookie(res, `jupyterhub-user-${encodeURIComponent(username)}=${id}; Path=${base}; HttpOnly`);
  redirect(res, pending.next.startsWith(base) ? pending.next : `${base}lab`);
}

function sessionModel(s: FakeSession): Record<string, unknown> {
  return {
    id: s.id, path: s.path, name: s.name, type: s.type,
    kernel: { id: s.kernel.id, name: s.kernel.name, last_activity: new Date().toISOString(), execution_state: "idle", connections: s.kernel.sockets.size },
    notebook: { path: s.path, name: s.name },
  };
}

async function labApi(lab: FakeLab, req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
  const method = req.method ?? "GET";
  const notFound = (what: string) => sendJson(res, 404, { message: `${what} not found`, reason: null });
  if (route === "status" && method === "GET") {
    return sendJson(res, 200, { started: new Date().toISOString(), last_activity: new Date().toISOString(), connections: 0, kernels: lab.kernels.size });
  }
  if (route === "kernelspecs" && method === "GET") {
    const spec = { name: KERNEL, spec: { display_name: KERNEL, language: "python", argv: ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], metadata: {} }, resources: {} };
    return sendJson(res, 200, { default: KERNEL, kernelspecs: { [KERNEL]: spec } });
  }
  if (route === "sessions" && method === "GET") return sendJson(res, 200, [...lab.sessions.values()].map(sessionModel));
  if (route === "sessions" && method === "POST") {
    let body: { path?: unknown; name?: unknown; type?: unknown; kernel?: { name?: unknown } };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      return sendJson(res, 400, { message: "Invalid JSON in body of request", reason: null });
    }
    if (typeof body.path !== "string") return sendJson(res, 400, { message: "Missing field in JSON data: path", reason: null });
    const kernelName = typeof body.kernel?.name === "string" ? body.kernel.name : KERNEL;
    if (kernelName !== KERNEL) {
      return sendJson(res, 501, { message: `The '${kernelName}' kernel is not available. Please pick another suitable kernel instead, or install that kernel.`, short_message: `${kernelName} not found` });
    }
    const kernel = newKernel(kernelName);
    lab.kernels.set(kernel.id, kernel);
    const session: FakeSession = { id: randomUUID(), path: body.path, name: typeof body.name === "string" ? body.name : "", type: typeof body.type === "string" ? body.type : "notebook", kernel };
    lab.sessions.set(session.id, session);
    return sendJson(res, 201, sessionModel(session), { location: `api/sessions/${session.id}` });
  }
  const sessionRoute = /^sessions\/([^/]+)$/.exec(route);
  if (sessionRoute) {
    const session = lab.sessions.get(sessionRoute[1] ?? "");
    if (!session) return notFound(`Session ${sessionRoute[1]}`);
    if (method === "GET") return sendJson(res, 200, sessionModel(session));
    if (method === "DELETE") {
      lab.sessions.delete(session.id);
      lab.kernels.delete(session.kernel.id);
      for (const ws of session.kernel.sockets) ws.close(1000);
      res.writeHead(204);
      return void res.end();
    }
  }
  const kernelRoute = /^kernels\/([^/]+)(\/interrupt)?$/.exec(route);
  if (kernelRoute) {
    const kernel = lab.kernels.get(kernelRoute[1] ?? "");
    if (!kernel) return notFound(`Kernel ${kernelRoute[1]}`);
    if (kernelRoute[2] && method === "POST") {
      kernel.interrupt?.();
      res.writeHead(204);
      return void res.end();
    }
    if (!kernelRoute[2] && method === "GET") return sendJson(res, 200, { id: kernel.id, name: kernel.name, execution_state: "idle", connections: kernel.sockets.size });
  }
  sendJson(res, 404, { message: "Not Found", reason: null });
}

/** Refuse an upgrade with a bare HTTP status. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/** Handle a websocket upgrade to `/nb/user/{username}/api/kernels/{id}/channels`. */
export function upgradeKernel(
  state: FakeNubladoState, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer,
  url: URL, token: FakeToken, username: string, kernelId: string,
): void {
  const lab = state.labs.get(username);
  if (!lab?.running) return refuseUpgrade(socket, 503, "Service Unavailable");
  if (!labLogin(state, req, url, username, token)) return refuseUpgrade(socket, 403, "Forbidden");
  const kernel = lab.kernels.get(kernelId);
  if (!kernel) return refuseUpgrade(socket, 404, "Not Found");
  wss.handleUpgrade(req, socket, head, (ws) => serveKernelSocket(ws, kernel, lab, username));
}
