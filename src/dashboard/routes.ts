/**
 * Dashboard routes (`/ui` under the path prefix): the HTML shells of each view and the two
 * static files they load, served from memory. No token is needed (the shells hold no data; the
 * script calls the JSON API with the operator's token), and a Content-Security-Policy confines
 * the page to its own origin, so it makes no outside request.
 * @module
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply } from "fastify";
import { renderShell, type DashboardPage } from "./shell.js";

/** The ES modules `app.js` imports (served like it, from `src/dashboard/`). */
export const DASHBOARD_MODULES = ["chart.js", "timings.js", "audit.js"] as const;

/** Confines scripts, styles and fetches to the origin; no inline script or style. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The static files, read once. They live in `src/dashboard/`; the path is the same from
 * `src/dashboard/*.ts` (tests) and `dist/dashboard/*.js` (built), hence `../../src/dashboard/`.
 */
function asset(name: string): string {
  return readFileSync(new URL(`../../src/dashboard/${name}`, import.meta.url), "utf8");
}

/** Registers `/ui`, `/ui/flocks/:flock`, `/ui/executions`, `/ui/executions/:id`, `/ui/timings`, `/ui/audit` and the assets. */
export function registerDashboard(app: FastifyInstance, opts: { prefix: string; version: string }): void {
  const ui = `${opts.prefix}/ui`;
  const js = asset("app.js");
  const css = asset("app.css");
  const send = (reply: FastifyReply, type: string, body: string) =>
    reply.header("content-security-policy", DASHBOARD_CSP).header("x-content-type-options", "nosniff").header("cache-control", "no-cache").type(type).send(body);
  const page = (p: DashboardPage, arg?: (params: Record<string, string>) => string) =>
    async (req: { params: unknown }, reply: FastifyReply) => {
      const a = arg?.(req.params as Record<string, string>);
      return send(reply, "text/html; charset=utf-8", renderShell(p, { prefix: opts.prefix, version: opts.version, ...(a === undefined ? {} : { arg: a }) }));
    };
  app.get(ui, page("overview"));
  app.get(`${ui}/`, page("overview"));
  app.get(`${ui}/flocks/:flock`, page("flock", (p) => p["flock"]!));
  app.get(`${ui}/executions`, page("executions"));
  app.get(`${ui}/executions/:id`, page("execution", (p) => p["id"]!));
  app.get(`${ui}/timings`, page("timings"));
  app.get(`${ui}/audit`, page("audit"));
  app.get(`${ui}/app.js`, async (_req, reply) => send(reply, "text/javascript; charset=utf-8", js));
  app.get(`${ui}/app.css`, async (_req, reply) => send(reply, "text/css; charset=utf-8", css));
  for (const name of DASHBOARD_MODULES) {
    const body = asset(name);
    app.get(`${ui}/${name}`, async (_req, reply) => send(reply, "text/javascript; charset=utf-8", body));
  }
}
