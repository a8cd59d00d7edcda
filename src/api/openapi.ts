/**
 * The OpenAPI 3.1 document, generated from the route declarations and their zod schemas, and a
 * small self-contained HTML page to browse it (no CDN).
 * @module
 */
import { z } from "zod";
import type { RouteSpec } from "./route-spec.js";

const errorBody = {
  type: "object",
  properties: { code: { type: "string" }, message: { type: "string" }, errors: { type: "array", items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } } } },
  required: ["code", "message", "errors"],
};

function schemaOf(s: z.ZodType, io: "input" | "output"): unknown {
  return z.toJSONSchema(s, { io, unrepresentable: "any", target: "draft-2020-12" });
}

export function buildOpenApi(routes: RouteSpec[], prefix: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = prefix + r.path.replace(/:(\w+)/g, "{$1}");
    const params: unknown[] = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    if (r.query) params.push(...queryParameters(r.query));
    const ok = String(r.status ?? 200);
    const content = r.produces ? { [r.produces]: { schema: { type: "string" } } } : r.response ? { "application/json": { schema: schemaOf(r.response, "output") } } : undefined;
    paths[path] ??= {};
    paths[path]![r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      parameters: params,
      ...(r.permission === "public" ? { security: [] } : {}),
      ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: schemaOf(r.body, "input") } } } } : {}),
      responses: {
        [ok]: { description: "Success", ...(content ? { content } : {}) },
        default: { description: "Error with a stable code (see docs/errors.md)", content: { "application/json": { schema: errorBody } } },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Troop", version, description: "Flocks of bot users that keep a JupyterHub platform honest. mobu-compatible routes plus pause/resume, count and health." },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}

/** OpenAPI query parameters of an object schema, one per key. */
function queryParameters(schema: z.ZodObject): { name: string; in: string; required: boolean; schema: unknown }[] {
  const json = schemaOf(schema, "input") as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: "query", required: json.required?.includes(name) ?? false, ...(s.description ? { description: s.description } : {}), schema: s }));
}

/** A browsable page of the document: every operation with its schemas. */
export function docsPage(doc: Record<string, unknown>): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  const ops = Object.entries(doc["paths"] as Record<string, Record<string, { summary: string; requestBody?: unknown; responses: unknown }>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(
      ([method, op]) => `<details><summary><b>${method.toUpperCase()}</b> <code>${esc(path)}</code> — ${esc(op.summary)}</summary>
${op.requestBody ? `<h4>Request body</h4><pre>${esc(JSON.stringify(op.requestBody, null, 2))}</pre>` : ""}
<h4>Responses</h4><pre>${esc(JSON.stringify(op.responses, null, 2))}</pre></details>`,
    ),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Troop API</title>
<style>body{font:15px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}details{border:1px solid #ccc;border-radius:6px;margin:.5rem 0;padding:.5rem}pre{overflow:auto;background:#f6f6f6;padding:.5rem;font-size:12px}</style>
</head><body><h1>Troop API</h1><p>Every route needs <code>Authorization: Bearer &lt;token&gt;</code> unless marked otherwise. Machine-readable: <a href="openapi.json">openapi.json</a>.</p>${ops.join("\n")}</body></html>`;
}
