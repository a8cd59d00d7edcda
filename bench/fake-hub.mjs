/**
 * A fast, protocol-faithful fake of JupyterHub 3's REST API and of jupyter-server's lab API,
 * for load tests of Troop (bench/scale.mjs runs it as a separate process). Written from
 * JupyterHub's REST API reference (users, tokens, servers, spawn progress as server-sent
 * events, JSON errors `{"status", "message"}`) and jupyter-server's (status, kernelspecs,
 * sessions, kernels, and the kernel websocket speaking the JSON messaging protocol 5.3).
 *
 * Everything is answered at once: a spawn is ready immediately (201, unless --spawn-ms), and an
 * `execute_request` gets, without running anything, iopub `status: busy`, `execute_input`,
 * `stream` (stdout "2\n" for `print(1+1)`-like code, nothing otherwise), shell `execute_reply`
 * (status ok) and iopub `status: idle`, each with the request's header as `parent_header`. A
 * `kernel_info_request` gets a `kernel_info_reply`. What is deliberately not faked: running
 * code, named servers, RBAC beyond "the admin token does anything, a user token acts as its
 * user", XSRF/cookies (JupyterHub API tokens are used, as Troop's `jupyterhub` hub type does).
 *
 *   node bench/fake-hub.mjs [--port 0] [--host 127.0.0.1] [--admin-token T] [--exec-ms 0] [--spawn-ms 0]
 *
 * Prints `FAKE_HUB_URL=...` and `FAKE_HUB_ADMIN_TOKEN=...` lines on stdout once listening, then
 * serves until SIGTERM/SIGINT. `GET /_fake/stats` (admin token) returns counters: executes
 * answered, open websockets, users, running servers, sessions, HTTP requests, CPU and RSS.
 * @module
 */
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { WebSocketServer } from "ws";

const VERSION = "3.0.0";
const PROTOCOL_VERSION = "5.3";

/**
 * Start the fake on `host:port`. Resolves once listening with `{ url, adminToken, stats(), close() }`.
 * @param {{ port?: number, host?: string, adminToken?: string, execMs?: number, spawnMs?: number }} opts
 */
export async function startFakeHub(opts = {}) {
  const adminToken = opts.adminToken ?? randomBytes(24).toString("hex");
  const execMs = opts.execMs ?? 0;
  const spawnMs = opts.spawnMs ?? 0;
  const started = iso();
  /** @type {Map<string, {name: string, created: string, lastActivity: string, server: null | {started: string, ready: boolean, pending: string | null, userOptions: object, kernels: Map<string, object>, sessions: Map<string, object>, readyAt: number, waiters: Set<Function>}}>} */
  const users = new Map();
  /** token value → { id, user, note, created, expiresAt } */
  const tokens = new Map();
  const counters = { requests: 0, executes: 0, wsOpened: 0, wsOpen: 0, spawns: 0, stops: 0, sessionsCreated: 0 };
  let tokenSeq = 0;

  // ------------------------------------------------------------ models (JupyterHub REST shapes)

  const serverModel = (user) => {
    const s = user.server;
    return {
      name: "",
      last_activity: user.lastActivity,
      started: s.started,
      pending: s.pending,
      ready: s.ready,
      stopped: false,
      url: `/user/${user.name}/`,
      user_options: s.userOptions,
      progress_url: `/hub/api/users/${user.name}/server/progress`,
      state: {},
    };
  };
  const userModel = (user) => ({
    kind: "user",
    name: user.name,
    admin: false,
    roles: ["user"],
    groups: [],
    server: user.server?.ready ? `/user/${user.name}/` : null,
    pending: user.server?.pending ?? null,
    created: user.created,
    last_activity: user.lastActivity,
    auth_state: null,
    servers: user.server ? { "": serverModel(user) } : {},
  });
  const tokenModel = (t, value) => ({
    ...(value ? { token: value } : {}),
    id: t.id,
    kind: "api_token",
    user: t.user,
    roles: [],
    scopes: ["inherit"],
    note: t.note,
    created: t.created,
    expires_at: t.expiresAt,
    last_activity: null,
    oauth_client: "JupyterHub",
    session_id: null,
  });

  // ------------------------------------------------------------ HTTP

  /** Who is calling: "admin", a username, or null. */
  const caller = (req) => {
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m) return null;
    if (m[1] === adminToken) return "admin";
    const t = tokens.get(m[1]);
    if (!t) return null;
    if (t.expiresAt && Date.parse(t.expiresAt) < Date.now()) return null;
    return t.user;
  };

  const send = (res, status, body, headers = {}) => {
    if (body === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const error = (res, status, message) => send(res, status, { status, message });

  const readJson = (req) =>
    new Promise((resolve) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        if (chunks.length === 0) return resolve({});
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()));
        } catch {
          resolve(null);
        }
      });
    });

  const markReady = (user) => {
    const s = user.server;
    s.ready = true;
    s.pending = null;
    for (const w of s.waiters) w();
    s.waiters.clear();
  };

  const hubApi = async (req, res, path, who) => {
    const method = req.method;
    if (path === "/" || path === "") return send(res, 200, { version: VERSION });
    if (path === "/user" && method === "GET") {
      if (who === "admin") return send(res, 200, { kind: "service", name: "fake-admin", roles: ["admin"], scopes: ["admin:users", "admin:servers", "tokens", "read:users"] });
      return send(res, 200, userModel(users.get(who)));
    }
    let m;
    if ((m = /^\/users\/([^/]+)(\/.*)?$/.exec(path))) {
      const name = decodeURIComponent(m[1]);
      const rest = m[2] ?? "";
      if (who !== "admin" && who !== name) return error(res, 403, `Action is not authorized with current scopes; requires any of [admin:users]`);
      const user = users.get(name);
      if (rest === "") {
        if (method === "POST") {
          if (who !== "admin") return error(res, 403, "Action is not authorized with current scopes; requires any of [admin:users]");
          if (user) return error(res, 409, `User ${name} already exists`);
          const u = { name, created: iso(), lastActivity: iso(), server: null };
          users.set(name, u);
          return send(res, 201, userModel(u));
        }
        if (!user) return error(res, 404, "Not Found");
        if (method === "GET") return send(res, 200, userModel(user));
        if (method === "DELETE") {
          if (user.server) return error(res, 400, `${name}'s server is running, stop it first`);
          users.delete(name);
          return send(res, 204);
        }
        return error(res, 405, "Method Not Allowed");
      }
      if (!user) return error(res, 404, "Not Found");
      if (rest === "/tokens") {
        if (method === "POST") {
          const body = await readJson(req);
          if (body === null) return error(res, 400, "Invalid JSON in body");
          const value = randomBytes(16).toString("hex");
          const t = { id: `a${++tokenSeq}`, user: name, note: body.note ?? "Requested via api", created: iso(), expiresAt: body.expires_in ? new Date(Date.now() + body.expires_in * 1000).toISOString() : null };
          tokens.set(value, t);
          return send(res, 201, tokenModel(t, value));
        }
        if (method === "GET") return send(res, 200, { api_tokens: [...tokens.values()].filter((t) => t.user === name).map((t) => tokenModel(t)) });
        return error(res, 405, "Method Not Allowed");
      }
      if ((m = /^\/tokens\/([^/]+)$/.exec(rest))) {
        const id = decodeURIComponent(m[1]);
        const entry = [...tokens.entries()].find(([, t]) => t.user === name && t.id === id);
        if (!entry) return error(res, 404, `No such token: ${id}`);
        if (method === "GET") return send(res, 200, tokenModel(entry[1]));
        if (method === "DELETE") {
          tokens.delete(entry[0]);
          return send(res, 204);
        }
        return error(res, 405, "Method Not Allowed");
      }
      if (rest === "/server") {
        if (method === "POST") {
          const body = await readJson(req);
          if (body === null) return error(res, 400, "Invalid JSON in body");
          if (user.server?.ready) return error(res, 400, `${name} is already running`);
          if (user.server?.pending) return error(res, 400, `${name} is pending ${user.server.pending}`);
          counters.spawns++;
          user.server = { started: iso(), ready: false, pending: "spawn", userOptions: body, kernels: new Map(), sessions: new Map(), readyAt: Date.now() + spawnMs, waiters: new Set() };
          if (spawnMs <= 0) {
            markReady(user);
            return send(res, 201);
          }
          const server = user.server;
          setTimeout(() => user.server === server && markReady(user), spawnMs);
          return send(res, 202);
        }
        if (method === "DELETE") {
          if (!user.server) return send(res, 204);
          if (user.server.pending === "spawn") return error(res, 400, `${name} is pending spawn, please wait`);
          counters.stops++;
          stopServer(user);
          return send(res, 204);
        }
        return error(res, 405, "Method Not Allowed");
      }
      if (rest === "/server/progress" && method === "GET") return progress(req, res, user);
      return error(res, 404, "Not Found");
    }
    if (path === "/users" && method === "GET") {
      if (who !== "admin") return error(res, 403, "Action is not authorized with current scopes; requires any of [list:users]");
      return send(res, 200, [...users.values()].map(userModel));
    }
    return error(res, 404, "Not Found");
  };

  /** GET /hub/api/users/{name}/server/progress: text/event-stream of `data: {...}` events. */
  const progress = (req, res, user) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" });
    const event = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const url = `/user/${user.name}/`;
    const ready = () => event({ progress: 100, ready: true, message: `Server ready at ${url}`, html_message: `Server ready at <a href="${url}">${url}</a>`, url });
    const server = user.server;
    if (!server) {
      event({ progress: 100, failed: true, message: "Spawn failed: no server is starting" });
      return res.end();
    }
    if (server.ready) {
      ready();
      return res.end();
    }
    event({ progress: 0, message: "Server requested" });
    event({ progress: 50, message: "Spawning server..." });
    const done = () => {
      if (user.server === server && server.ready) ready();
      else event({ progress: 100, failed: true, message: "Spawn failed: the server was stopped" });
      res.end();
    };
    server.waiters.add(done);
    req.on("close", () => server.waiters.delete(done));
  };

  const stopServer = (user) => {
    const s = user.server;
    user.server = null;
    if (!s) return;
    for (const w of s.waiters) w();
    for (const k of s.kernels.values()) for (const ws of k.sockets) ws.close(1001, "server stopped");
  };

  // ------------------------------------------------------------ lab (jupyter-server REST)

  const kernelModel = (k) => ({ id: k.id, name: k.name, last_activity: k.lastActivity, execution_state: k.state, connections: k.sockets.size });
  const sessionModel = (s, k) => ({ id: s.id, path: s.path, name: s.name, type: s.type, kernel: kernelModel(k), notebook: { path: s.path, name: s.name } });
  const newKernel = (server, name) => {
    const k = { id: randomUUID(), name: name || "python3", lastActivity: iso(), state: "idle", sockets: new Set(), executionCount: 0 };
    server.kernels.set(k.id, k);
    return k;
  };
  const deleteKernel = (server, id) => {
    const k = server.kernels.get(id);
    if (!k) return false;
    server.kernels.delete(id);
    for (const ws of k.sockets) ws.close(1000, "kernel shut down");
    return true;
  };

  const labApi = async (req, res, user, path) => {
    const server = user.server;
    const method = req.method;
    user.lastActivity = iso();
    if (path === "status" && method === "GET") return send(res, 200, { started, last_activity: user.lastActivity, connections: counters.wsOpen, kernels: server.kernels.size });
    if (path === "kernelspecs" && method === "GET") {
      return send(res, 200, { default: "python3", kernelspecs: { python3: { name: "python3", spec: { argv: ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name: "Python 3 (ipykernel)", language: "python", metadata: {}, interrupt_mode: "signal", env: {} }, resources: {} } } });
    }
    if (path === "sessions") {
      if (method === "GET") return send(res, 200, [...server.sessions.values()].map((s) => sessionModel(s, server.kernels.get(s.kernelId))));
      if (method === "POST") {
        const body = await readJson(req);
        if (!body || typeof body.path !== "string") return error(res, 400, "Missing field in JSON data: path");
        const existing = [...server.sessions.values()].find((s) => s.path === body.path && server.kernels.has(s.kernelId));
        if (existing) return send(res, 201, sessionModel(existing, server.kernels.get(existing.kernelId)));
        const k = body.kernel?.id && server.kernels.get(body.kernel.id) ? server.kernels.get(body.kernel.id) : newKernel(server, body.kernel?.name);
        const s = { id: randomUUID(), path: body.path, name: body.name ?? body.path, type: body.type ?? "notebook", kernelId: k.id };
        server.sessions.set(s.id, s);
        counters.sessionsCreated++;
        return send(res, 201, sessionModel(s, k), { location: `/user/${user.name}/api/sessions/${s.id}` });
      }
      return error(res, 405, "Method Not Allowed");
    }
    let m;
    if ((m = /^sessions\/([^/]+)$/.exec(path))) {
      const s = server.sessions.get(m[1]);
      if (!s) return error(res, 404, `Session not found: ${m[1]}`);
      if (method === "GET") return send(res, 200, sessionModel(s, server.kernels.get(s.kernelId)));
      if (method === "DELETE") {
        server.sessions.delete(s.id);
        deleteKernel(server, s.kernelId);
        return send(res, 204);
      }
      return error(res, 405, "Method Not Allowed");
    }
    if (path === "kernels") {
      if (method === "GET") return send(res, 200, [...server.kernels.values()].map(kernelModel));
      if (method === "POST") {
        const body = await readJson(req);
        const k = newKernel(server, body?.name);
        return send(res, 201, kernelModel(k), { location: `/user/${user.name}/api/kernels/${k.id}` });
      }
      return error(res, 405, "Method Not Allowed");
    }
    if ((m = /^kernels\/([^/]+)(\/interrupt|\/restart)?$/.exec(path))) {
      const k = server.kernels.get(m[1]);
      if (!k) return error(res, 404, `Kernel does not exist: ${m[1]}`);
      if (!m[2] && method === "GET") return send(res, 200, kernelModel(k));
      if (!m[2] && method === "DELETE") {
        deleteKernel(server, k.id);
        for (const [id, s] of server.sessions) if (s.kernelId === k.id) server.sessions.delete(id);
        return send(res, 204);
      }
      if (m[2] === "/interrupt" && method === "POST") return send(res, 204);
      if (m[2] === "/restart" && method === "POST") return send(res, 200, kernelModel(k));
      return error(res, 405, "Method Not Allowed");
    }
    return error(res, 404, "Not Found");
  };

  const server = http.createServer(async (req, res) => {
    counters.requests++;
    try {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const path = q < 0 ? url : url.slice(0, q);
      if (path === "/_fake/stats") {
        if (caller(req) !== "admin") return error(res, 403, "Forbidden");
        return send(res, 200, stats());
      }
      if (path.startsWith("/hub/api")) {
        const who = caller(req);
        if (!who) return error(res, 403, "Missing or invalid credentials");
        return await hubApi(req, res, path.slice("/hub/api".length), who);
      }
      const m = /^\/user\/([^/]+)\/api\/(.*)$/.exec(path);
      if (m) {
        const user = users.get(decodeURIComponent(m[1]));
        // the proxy has no route without a running server: JupyterHub answers 424/503 pages
        if (!user?.server?.ready) return error(res, 503, `Server for ${m[1]} is not running`);
        const who = caller(req);
        if (who !== "admin" && who !== user.name) return error(res, 403, "Forbidden");
        return await labApi(req, res, user, m[2]);
      }
      return error(res, 404, "Not Found");
    } catch (err) {
      if (!res.headersSent) error(res, 500, String(err?.message ?? err));
      else res.destroy();
    }
  });
  // Node's defaults (5 s keep-alive, announced in a Keep-Alive header), as configurable-http-proxy
  // in front of a real hub has: idle client connections are closed after 5 s
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 0;

  // ------------------------------------------------------------ kernel websocket

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  server.on("upgrade", (req, socket, head) => {
    counters.requests++;
    const url = req.url ?? "/";
    const m = /^\/user\/([^/]+)\/api\/kernels\/([^/?]+)\/channels(?:\?(.*))?$/.exec(url);
    const reject = (status, text) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    };
    if (!m) return reject(404, "Not Found");
    const user = users.get(decodeURIComponent(m[1]));
    if (!user?.server?.ready) return reject(503, "Service Unavailable");
    const who = caller(req);
    if (who !== "admin" && who !== user.name) return reject(403, "Forbidden");
    const kernel = user.server.kernels.get(m[2]);
    if (!kernel) return reject(404, "Not Found");
    const sessionId = new URLSearchParams(m[3] ?? "").get("session_id") ?? randomUUID();
    wss.handleUpgrade(req, socket, head, (ws) => onKernelSocket(ws, kernel, sessionId));
  });

  /** One kernel channels connection (legacy JSON protocol: every message a text frame with `channel`). */
  const onKernelSocket = (ws, kernel, sessionId) => {
    counters.wsOpened++;
    counters.wsOpen++;
    kernel.sockets.add(ws);
    ws._socket.setNoDelay(true);
    const kernelSession = randomUUID();
    let seq = 0;
    const message = (channel, msgType, parent, content) =>
      JSON.stringify({
        header: { msg_id: `${kernelSession}_${++seq}`, msg_type: msgType, username: parent?.username ?? "kernel", session: kernelSession, date: iso(), version: PROTOCOL_VERSION },
        msg_id: `${kernelSession}_${seq}`,
        msg_type: msgType,
        parent_header: parent ?? {},
        metadata: {},
        content,
        buffers: [],
        channel,
      });
    // jupyter-server "nudges" a new connection (kernel_info_request on its own session): the
    // client sees an iopub status it did not ask for
    ws.send(message("iopub", "status", { msg_id: randomUUID(), msg_type: "kernel_info_request", session: sessionId, username: "server", date: iso(), version: PROTOCOL_VERSION }, { execution_state: "idle" }));

    const answer = (req) => {
      const h = req.header;
      if (!ws.readyState || ws.readyState !== ws.OPEN) return;
      const socket = ws._socket;
      socket.cork(); // the five frames in one write
      if (h.msg_type === "execute_request") {
        counters.executes++;
        const count = ++kernel.executionCount;
        const code = String(req.content?.code ?? "");
        kernel.lastActivity = iso();
        ws.send(message("iopub", "status", h, { execution_state: "busy" }));
        ws.send(message("iopub", "execute_input", h, { code, execution_count: count }));
        const printed = /^print\((\d+)\s*\+\s*(\d+)\)\s*$/.exec(code);
        if (printed) ws.send(message("iopub", "stream", h, { name: "stdout", text: `${Number(printed[1]) + Number(printed[2])}\n` }));
        ws.send(message("shell", "execute_reply", h, { status: "ok", execution_count: count, user_expressions: {}, payload: [] }));
        ws.send(message("iopub", "status", h, { execution_state: "idle" }));
      } else if (h.msg_type === "kernel_info_request") {
        ws.send(message("iopub", "status", h, { execution_state: "busy" }));
        ws.send(message("shell", "kernel_info_reply", h, { status: "ok", protocol_version: PROTOCOL_VERSION, implementation: "fake-ipykernel", implementation_version: "6.17.0", language_info: { name: "python", version: "3.11.2", mimetype: "text/x-python", file_extension: ".py" }, banner: "", help_links: [] }));
        ws.send(message("iopub", "status", h, { execution_state: "idle" }));
      }
      process.nextTick(() => socket.uncork());
    };

    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let req;
      try {
        req = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!req?.header?.msg_type) return;
      if (execMs > 0) setTimeout(() => answer(req), execMs);
      else answer(req);
    });
    ws.on("close", () => {
      counters.wsOpen--;
      kernel.sockets.delete(ws);
    });
    ws.on("error", () => undefined);
  };

  const stats = () => {
    let running = 0;
    let sessions = 0;
    for (const u of users.values()) {
      if (u.server?.ready) running++;
      sessions += u.server?.sessions.size ?? 0;
    }
    const cpu = process.cpuUsage();
    return { ...counters, users: users.size, tokens: tokens.size, running, sessions, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, rss: process.memoryUsage().rss, uptimeMs: process.uptime() * 1000 };
  };

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve);
  });
  const addr = server.address();
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${addr.port}`,
    adminToken,
    stats,
    close: () =>
      new Promise((resolve) => {
        for (const u of users.values()) stopServer(u);
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function iso() {
  return new Date().toISOString();
}

// ---------------------------------------------------------------- entry point

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      "admin-token": { type: "string" },
      "exec-ms": { type: "string", default: "0" },
      "spawn-ms": { type: "string", default: "0" },
    },
  });
  const hub = await startFakeHub({ port: Number(values.port), host: values.host, adminToken: values["admin-token"] ?? process.env.FAKE_HUB_ADMIN_TOKEN, execMs: Number(values["exec-ms"]), spawnMs: Number(values["spawn-ms"]) });
  process.stdout.write(`FAKE_HUB_URL=${hub.url}\nFAKE_HUB_ADMIN_TOKEN=${hub.adminToken}\n`);
  const stop = () => hub.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
