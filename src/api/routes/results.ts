/**
 * Results routes: the windowed summaries (`/summary`, `/flocks/{flock}/summary`: mobu's fields,
 * `paused` and 1 h / 24 h / 7 d figures; they take the place of the plain summary routes of the
 * same paths), the execution history (`/flocks/{flock}/executions`, `/executions/{id}`), a
 * flock's hourly activity and failing run (`/flocks/{flock}/activity`) and
 * Prometheus metrics (`/metrics`), and `/whoami` (whoami.ts). Handlers are thin: one service call each.
 * @module
 */
import { executionDetailSchema, executionPageSchema, executionQuerySchema, flockActivitySchema, windowedFlockSummarySchema, windowedSummarySchema } from "../../models/results.js";
import type { ActivityService } from "../../services/results/activity.js";
import type { ExecutionQueries } from "../../services/results/executions.js";
import type { MetricsSink } from "../../services/results/metrics.js";
import type { SummaryService } from "../../services/results/summaries.js";
import type { TimingsService } from "../../services/results/timings.js";
import { timingsQuerySchema, timingsSchema } from "../../models/timings.js";
import type { RouteSpec } from "../route-spec.js";
import { whoamiRoute } from "./whoami.js";

/** What the API needs of the results services (built by the composition root). */
export interface ResultsApi {
  summaries: SummaryService;
  executions: ExecutionQueries;
  /** Null when `metrics.enabled` is false. */
  metrics: MetricsSink | null;
  /** `metrics.public`: /metrics needs no token. */
  metricsPublic: boolean;
  /** Durations over time from the history (`GET /flocks/{flock}/timings`). */
  timings?: TimingsService;
  /** Hourly figures and the failing run (`GET /flocks/{flock}/activity`). */
  activity?: ActivityService;
}

export function resultRoutes(results: ResultsApi): RouteSpec[] {
  const routes: RouteSpec[] = [
    { method: "GET", path: "/summary", tag: "summary", summary: "Counters and 1 h / 24 h / 7 d figures of every flock", permission: "read", response: windowedSummarySchema, handler: () => results.summaries.all() },
    { method: "GET", path: "/flocks/:flock/summary", tag: "flocks", summary: "Counters and 1 h / 24 h / 7 d figures of a flock", permission: "read", response: windowedFlockSummarySchema, handler: ({ params }) => results.summaries.flock(params["flock"]!) },
    {
      method: "GET",
      path: "/flocks/:flock/executions",
      tag: "history",
      summary: "A flock's stored executions, newest first (cursor pagination)",
      permission: "read",
      query: executionQuerySchema,
      response: executionPageSchema,
      handler: ({ params, query }) => results.executions.list(params["flock"]!, query),
    },
    {
      method: "GET",
      path: "/executions/:id",
      tag: "history",
      summary: "One stored execution with its full record and raw JSON",
      permission: "read",
      response: executionDetailSchema,
      handler: ({ params }) => results.executions.get(params["id"]!),
    },
    {
      method: "GET",
      path: "/solitary/executions",
      tag: "history",
      summary: "Stored solitary runs (POST /run; flock null), newest first (cursor pagination)",
      permission: "read",
      query: executionQuerySchema,
      response: executionPageSchema,
      handler: ({ query }) => results.executions.listSolitary(query),
    },
    whoamiRoute(), // the dashboard's reads (which buttons to offer) are served with these routes
  ];
  const timings = results.timings;
  if (timings) {
    routes.push({
      method: "GET",
      path: "/flocks/:flock/timings",
      tag: "history",
      summary: "Durations of a phase, the execution, a notebook or its cells over time: buckets with count, p50 and p95",
      permission: "read",
      query: timingsQuerySchema,
      response: timingsSchema,
      handler: ({ params, query }) => timings.get(params["flock"]!, query),
    });
  }
  const activity = results.activity;
  if (activity) {
    routes.push({
      method: "GET",
      path: "/flocks/:flock/activity",
      tag: "history",
      summary: "Executions and failures per hour of the last 24 h, and the current run of failures with its first failure",
      permission: "read",
      response: flockActivitySchema,
      handler: ({ params }) => activity.flock(params["flock"]!),
    });
  }
  const metrics = results.metrics;
  if (metrics) {
    routes.push({
      method: "GET",
      path: "/metrics",
      tag: "metrics",
      summary: "Prometheus metrics (text exposition format)",
      produces: "text/plain",
      permission: results.metricsPublic ? "public" : "read",
      handler: async ({ reply }) => {
        const { body, contentType } = await metrics.text();
        reply.header("content-type", contentType);
        return body;
      },
    });
  }
  return routes;
}
