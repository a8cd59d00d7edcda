/**
 * A protocol-faithful fake of a Rubin Science Platform's notebook service for tests:
 * Gafaelfawr's token API (`/auth/api/v1/`), the Gafaelfawr ingress in front of Nublado
 * (bearer token with `exec:notebook`), the Nublado JupyterHub (`/nb/hub/`) and labs
 * (`/nb/user/{name}/`) with their kernel websockets, on 127.0.0.1 and a random port.
 * See `docs/nublado.md` for what it covers and how it differs from the real services.
 * @module
 */
import http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { DEFAULT_KNOWN_SCOPES, FakeGafaelfawr } from "./fake-nublado/gafaelfawr.js";
import { handleHub, stopLab } from "./fake-nublado/hub.js";
import { DEFAULT_IMAGES, type FakeImageCatalogue } from "./fake-nublado/images.js";
import { handleLab, refuseUpgrade, upgradeKernel } from "./fake-nublado/lab.js";
import { emptyState, type FakeNubladoState } from "./fake-nublado/state.js";

export type { FakeLab, FakeNubladoState, FakeToken } from "./fake-nublado/state.js";
export type { FakeImageCatalogue } from "./fake-nublado/images.js";

/** Knobs for a fake platform. */
export interface FakeNubladoOptions {
  /** Images the lab controller offers (default {@link DEFAULT_IMAGES}). */
  images?: FakeImageCatalogue;
  /** Time between spawn progress events (default 30 ms; four steps then ready). */
  spawnStepMs?: number;
  /** How long a deleted lab stays "pending stop" (default 0: gone at once). */
  stopDelayMs?: number;
  /** Scopes Gafaelfawr accepts in token requests. */
  knownScopes?: string[];
}

/** A running fake platform. */
export interface FakeNublado {
  /** Base URL, e.g. `http://127.0.0.1:40123` (hub at `/nb/hub/`, Gafaelfawr at `/auth/api/v1/`). */
  url: string;
  /** A Gafaelfawr token with `admin:token` (user `bot-troop-admin`). */
  adminToken: string;
  state: FakeNubladoState;
  /** Answer 503 to everything (an outage) until called with false. */
  setDown(down: boolean): void;
  /** Make the next spawn of `username` fail with this message. */
  failNextSpawn(username: string, message: string): void;
  close(): Promise<void>;
}

/** Start a fake platform on 127.0.0.1 with a random port. */
export async function startFakeNublado(opts: FakeNubladoOptions = {}): Promise<FakeNublado> {
  const state = emptyState();
  const gafaelfawr = new FakeGafaelfawr(state, opts.knownScopes ?? DEFAULT_KNOWN_SCOPES);
  const hub = { state, images: opts.images ?? DEFAULT_IMAGES, spawnStepMs: opts.spawnStepMs ?? 30, stopDelayMs: opts.stopDelayMs ?? 0 };
  const adminToken = gafaelfawr.mint({ username: "bot-troop-admin", tokenType: "service", scopes: ["admin:token", "exec:admin"], expires: null, groups: [] });
  const wss = new WebSocketServer({ noServer: true });
  let down = false;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    res.on("finish", () => state.requests.push(`${req.method} ${url.pathname} ${res.statusCode}`));
    void route(req, res, url).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`fake-nublado error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (down) {
      res.writeHead(503, { "content-type": "text/html" });
      return void res.end("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");
    }
    if (url.pathname.startsWith("/auth/api/v1/")) return gafaelfawr.handle(req, res, url);
    if (!url.pathname.startsWith("/nb/")) return void res.writeHead(404).end();
    const token = gafaelfawr.ingress(req, res);
    if (!token) return;
    if (url.pathname.startsWith("/nb/hub/")) return handleHub(hub, req, res, url, token);
    const lab = /^\/nb\/user\/([^/]+)\/(.*)$/.exec(url.pathname);
    if (lab) return handleLab(state, req, res, url, token, decodeURIComponent(lab[1] ?? ""), lab[2] ?? "");
    res.writeHead(404).end();
  }

  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://fake");
    state.requests.push(`WS ${url.pathname}`);
    if (down) return refuseUpgrade(socket, 503, "Service Unavailable");
    const m = /^\/nb\/user\/([^/]+)\/api\/kernels\/([^/]+)\/channels$/.exec(url.pathname);
    if (!m) return refuseUpgrade(socket, 404, "Not Found");
    const token = gafaelfawr.ingressStatus(req);
    if (token === 401) return refuseUpgrade(socket, 401, "Unauthorized");
    if (token === 403) return refuseUpgrade(socket, 403, "Forbidden");
    upgradeKernel(state, wss, req, socket, head, url, token, decodeURIComponent(m[1] ?? ""), decodeURIComponent(m[2] ?? ""));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    adminToken,
    state,
    setDown: (d) => {
      down = d;
    },
    failNextSpawn: (username, message) => {
      state.spawnFailures.set(username, message);
    },
    close: async () => {
      for (const lab of state.labs.values()) stopLab(lab, 0);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
