/**
 * Service-wide routes: summary, solitary run, health and readiness.
 * @module
 */
import { z } from "zod";
import { ApiError } from "../../errors.js";
import { solitaryResultSchema } from "../../models/status.js";
import type { FlockManager } from "../../services/flock-manager.js";
import { solitaryConfigSchema, type SolitaryRunner } from "../../services/solitary.js";
import type { RouteSpec } from "../route-spec.js";

export function serviceRoutes(manager: FlockManager, solitary: SolitaryRunner): RouteSpec[] {
  return [
    { method: "POST", path: "/run", tag: "solitary", summary: "Run a business once, synchronously (admins: it mints a token for any user)", permission: "admin", audit: "run_solitary", body: solitaryConfigSchema, response: solitaryResultSchema, handler: ({ body }) => solitary.run(body) },
    { method: "GET", path: "/healthz", tag: "health", summary: "The process is alive", permission: "public", response: z.strictObject({ status: z.literal("ok") }), handler: () => ({ status: "ok" as const }) },
    {
      method: "GET",
      path: "/readyz",
      tag: "health",
      summary: "Flocks are loaded and the API serves",
      permission: "public",
      response: z.strictObject({ status: z.literal("ready"), flocks: z.number() }),
      handler: () => {
        if (!manager.isReady) throw new ApiError({ code: "not_ready", status: 503, message: "Starting up or shutting down" });
        return { status: "ready" as const, flocks: manager.listFlocks().length };
      },
    },
  ];
}
