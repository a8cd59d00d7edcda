/**
 * The HTTP server (Fastify): routes under the configured prefix, bearer auth, body limits, the
 * error mapper and the OpenAPI document. Built from injected services; holds no logic.
 * @module
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { FlockManager } from "../services/flock-manager.js";
import type { SolitaryRunner } from "../services/solitary.js";
import type { ArtifactStore } from "../store/artifacts.js";
import { bearerChecker } from "./auth.js";
import { errorHandler, notFoundBody } from "./error-mapper.js";
import { buildOpenApi, docsPage } from "./openapi.js";
import type { RouteSpec } from "./route-spec.js";
import { artifactRoutes } from "./routes/artifacts.js";
import { flockRoutes } from "./routes/flocks.js";
import { resultRoutes, type ResultsApi } from "./routes/results.js";
import { serviceRoutes } from "./routes/service.js";

export interface ServerDeps {
  manager: FlockManager;
  solitary: SolitaryRunner;
  logger: Logger;
  prefix: string;
  apiToken: string;
  version: string;
  /** Executed notebooks of the notebook runners (`GET /artifacts/{id}`). */
  artifacts: ArtifactStore;
  /** History, summaries (mobu's counters plus 1 h / 24 h / 7 d windows) and metrics. */
  results: ResultsApi;
}

const BODY_LIMIT = 1_048_576;

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, routerOptions: { maxParamLength: 200 }, return503OnClosing: true });
  const routes: RouteSpec[] = [
    ...flockRoutes(deps.manager, deps.prefix),
    ...serviceRoutes(deps.manager, deps.solitary),
    ...resultRoutes(deps.results),
    ...artifactRoutes(deps.artifacts),
  ];
  const openapi = buildOpenApi(routes, deps.prefix, deps.version);
  const check = bearerChecker(deps.apiToken);

  app.setErrorHandler(errorHandler(deps.logger));
  app.setNotFoundHandler((req, reply) => reply.status(404).send(notFoundBody(req.method, req.url)));
  app.addHook("onResponse", async (req, reply) => {
    deps.logger.info({ method: req.method, route: req.routeOptions.url ?? "unknown", status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  });

  for (const r of routes) {
    app.route({
      method: r.method,
      url: deps.prefix + r.path,
      handler: async (req, reply) => {
        if (!r.public) check(req.headers.authorization);
        const result = await r.handler({ params: req.params as Record<string, string>, query: req.query as Record<string, string>, body: req.body, reply });
        reply.status(r.status ?? 200);
        return r.status === 204 ? reply.send() : result;
      },
    });
  }
  app.get(`${deps.prefix}/openapi.json`, async () => openapi);
  app.get(`${deps.prefix}/docs`, async (_req, reply) => reply.type("text/html; charset=utf-8").send(docsPage(openapi)));
  if (deps.prefix) app.get(deps.prefix, async (_req, reply) => reply.redirect(`${deps.prefix}/docs`));
  return app;
}

