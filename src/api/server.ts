/**
 * The HTTP server (Fastify): routes under the configured prefix, bearer auth (before the body is
 * read), each route's permission checked by the Authorizer, changes recorded in the audit log,
 * body and header limits, the error mapper, every text or JSON response body scrubbed of known
 * secrets (an `onSend` hook, 2xx included) and the OpenAPI document. Built from injected
 * services; holds no logic.
 * @module
 */
import Fastify, { type FastifyInstance, type RouteOptions } from "fastify";
import type { Logger } from "pino";
import { registerDashboard } from "../dashboard/routes.js";
import { ApiError } from "../errors.js";
import type { AuditService } from "../services/audit.js";
import type { DiscoveryService } from "../services/discovery.js";
import type { Authorizer } from "../services/authz.js";
import type { FlockManager } from "../services/flock-manager.js";
import type { WebhookHandler } from "../services/github/webhook.js";
import type { SolitaryRunner } from "../services/solitary.js";
import type { ArtifactStore } from "../store/artifacts.js";
import type { Authenticator, Caller } from "./auth.js";
import { errorHandler, notFoundBody } from "./error-mapper.js";
import { buildOpenApi, docsPage } from "./openapi.js";
import type { RouteSpec } from "./route-spec.js";
import { artifactRoutes } from "./routes/artifacts.js";
import { auditRoutes } from "./routes/audit.js";
import { discoveryRoutes } from "./routes/discovery.js";
import { flockRoutes } from "./routes/flocks.js";
import { githubRoutes } from "./routes/github.js";
import { resultRoutes, type ResultsApi } from "./routes/results.js";
import { serviceRoutes } from "./routes/service.js";

export interface ServerDeps {
  manager: FlockManager;
  solitary: SolitaryRunner;
  logger: Logger;
  prefix: string;
  /** Who is calling (bearer tokens, failed-authentication limit). */
  auth: Authenticator;
  /** What they may do (each route's permission). */
  authz: Authorizer;
  /** Where changes are recorded. */
  audit: AuditService;
  version: string;
  /** Executed notebooks of the notebook runners (`GET /artifacts/{id}`). */
  artifacts: ArtifactStore;
  /** History, summaries (mobu's counters plus 1 h / 24 h / 7 d windows) and metrics. */
  results: ResultsApi;
  /** GitHub App deliveries (`POST /github/webhook`); absent: the route is not served. */
  github?: WebhookHandler | undefined;
  /** Service discovery (`GET /discovery`); absent: the route is not served. */
  discovery?: DiscoveryService;
  /**
   * Replaces known secrets in text (linear in the text): applied to every text body sent, as a
   * last line of defence; error bodies, which may echo input, are also scrubbed of principal
   * tokens by their hash ({@link Authenticator.redactPrincipalTokens}).
   */
  scrub?: (text: string) => string;
}

const BODY_LIMIT = 1_048_576;
/** Bound on a raw body (GitHub caps webhook payloads at 25 MB). */
const RAW_BODY_LIMIT = 26_214_400;
/** Bound on all request headers together (Node's own limit for a real socket is 16 KiB too). */
const HEADER_LIMIT = 16_384;

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, routerOptions: { maxParamLength: 200 }, return503OnClosing: true });
  const routes: RouteSpec[] = [
    ...flockRoutes(deps.manager, deps.prefix),
    ...serviceRoutes(deps.manager, deps.solitary),
    ...resultRoutes(deps.results),
    ...artifactRoutes(deps.artifacts),
    ...auditRoutes(deps.audit),
    ...(deps.github ? githubRoutes(deps.github) : []),
    ...(deps.discovery ? discoveryRoutes(deps.discovery) : []),
  ];
  const openapi = buildOpenApi(routes, deps.prefix, deps.version);

  app.setErrorHandler(errorHandler(deps.logger));
  app.decorateRequest("caller", null);
  app.addHook("onRequest", async (req) => {
    let bytes = 0;
    for (const h of req.raw.rawHeaders) bytes += h.length + 2;
    if (bytes > HEADER_LIMIT) throw new ApiError({ code: "headers_too_large", status: 431, message: `The request headers are over ${HEADER_LIMIT} bytes` });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send(notFoundBody(req.method, req.url)));
  const scrub = deps.scrub;
  if (scrub) {
    app.addHook("onSend", async (_req, reply, payload) => {
      const redact = reply.statusCode >= 400 ? (t: string) => deps.auth.redactPrincipalTokens(scrub(t)) : scrub;
      return scrubbedBody(payload, String(reply.getHeader("content-type") ?? ""), redact);
    });
  }
  app.addHook("onResponse", async (req, reply) => {
    deps.logger.info({ method: req.method, route: req.routeOptions.url ?? "unknown", status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  });

  const rawRoutes: RouteOptions[] = [];
  for (const r of routes) {
    const route: RouteOptions = {
      method: r.method,
      url: deps.prefix + r.path,
      onRequest: async (req) => {
        if (r.permission !== "public") req.caller = deps.auth.authenticate(req.headers.authorization, req.ip, { headers: req.headers, remoteAddress: req.socket.remoteAddress });
      },
      handler: async (req, reply) => {
        const params = req.params as Record<string, string>;
        deps.authz.check(req.caller, r.permission, { params, body: req.body });
        const flock = r.audit ? (params["flock"] ?? flockNameOf(req.body)) : null;
        const before = r.audit ? deps.audit.snapshot(flock) : null;
        const result = await r.handler({ params, query: req.query as Record<string, string>, body: req.body, reply });
        if (r.audit && req.caller) {
          const after = r.audit === "run_solitary" ? req.body : deps.audit.snapshot(flock);
          await deps.audit.record({ actor: req.caller.name, role: req.caller.role, action: r.audit, flock, before, after });
        }
        reply.status(r.status ?? 200);
        return r.status === 204 ? reply.send() : result;
      },
    };
    if (r.rawBody) rawRoutes.push({ ...route, bodyLimit: RAW_BODY_LIMIT });
    else app.route(route);
  }
  // routes that read the raw body (webhook signatures): any content type, kept as a Buffer
  if (rawRoutes.length) {
    void app.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
      for (const route of rawRoutes) raw.route(route);
    });
  }
  app.get(`${deps.prefix}/openapi.json`, async () => openapi);
  app.get(`${deps.prefix}/docs`, async (_req, reply) => reply.type("text/html; charset=utf-8").send(docsPage(openapi)));
  registerDashboard(app, { prefix: deps.prefix, version: deps.version }); // /ui: HTML shells, no data, no token
  if (deps.prefix) app.get(deps.prefix, async (_req, reply) => reply.redirect(`${deps.prefix}/docs`));
  return app;
}

/** Content types whose Buffer bodies are text, and so scrubbed. */
const TEXT_TYPE = /^\s*(?:text\/|application\/(?:[\w.-]+\+)?(?:json|javascript|xml|x-ndjson)\b)/i;

/**
 * A response body with `redact` applied: every string body (JSON serialized by a route, text,
 * HTML, an executed notebook), and Buffer bodies of a text or JSON type. Streams are passed
 * through untouched (no route streams today; scrubbing one would mean buffering it).
 */
export function scrubbedBody(payload: unknown, contentType: string, redact: (text: string) => string): unknown {
  let text: string;
  if (typeof payload === "string") text = payload;
  else if (Buffer.isBuffer(payload) && TEXT_TYPE.test(contentType)) text = payload.toString("utf8");
  else return payload;
  const clean = redact(text);
  return clean === text ? payload : clean;
}

function flockNameOf(body: unknown): string | null {
  const name = (body as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : null;
}
