/**
 * The authorization matrix: every route of the OpenAPI document × every role (admin, owner,
 * viewer, no token; the same roles as gateway users from a trusted proxy, and a gateway user
 * with no mapped scope) × own / other flock, with the expected status; GitHub is configured, so
 * `POST /github/webhook` is served (a signed delivery). The public routes outside the OpenAPI
 * document (`/openapi.json`, `/docs`, the dashboard's `/ui` pages and assets) have rows too. A
 * route added without a row here fails the first two tests.
 */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenSha256 } from "../../src/api/auth.js";
import { githubYaml, SECRET, signedDelivery, startFakeGitHub, type FakeGitHub } from "../support/fake-github.js";
import { startTroop, type TestTroop } from "../support/troop.js";

const OWNER_TOKEN = "owner-token-canary-2b9e5a1f0d";
const VIEWER_TOKEN = "viewer-token-canary-7c3d8e2a4b";
/** Token roles, the same roles through gateway headers from a trusted proxy, and a gateway user with no mapped scope. */
const ROLES = ["admin", "owner", "viewer", "anonymous", "gateway-admin", "gateway-owner", "gateway-viewer", "gateway-unmapped"] as const;
type Role = (typeof ROLES)[number];
type Target = "own" | "other";

export const securityYaml = `
logLevel: debug
shutdownTimeout: 5s
failedAuth: { maxFailures: 100000 }
principals:
  - name: tap-team
    role: owner
    tokenSha256: ${tokenSha256(OWNER_TOKEN)}
    flocks: ["own-*"]
    businesses: [EmptyLoop]
    scopes: ["read:tap"]
    maxCount: 3
  - name: watcher
    role: viewer
    tokenSha256: ${tokenSha256(VIEWER_TOKEN)}
gateway:
  enabled: true
  trustedProxies: ["127.0.0.1/32"]
  roles:
    - { scope: "exec:admin", role: admin }
    - { scope: "exec:troop-own", role: owner, grant: own }
    - { scope: "read:troop", role: viewer }
  grants:
    own: { flocks: ["own-*"], businesses: [EmptyLoop], scopes: ["read:tap"], maxCount: 3 }
`;

const gateway = (scopes: string) => ({ authorization: "", "x-auth-request-user": "gw-user", "x-auth-request-token-scopes": `read:all ${scopes}` });
const gatewayHeaders = { "gateway-admin": gateway("exec:admin"), "gateway-owner": gateway("exec:troop-own"), "gateway-viewer": gateway("read:troop"), "gateway-unmapped": gateway("exec:notebook") };

const flockBody = (name: string, count = 1) => ({ name, count, scopes: ["read:tap"], user_spec: { username_prefix: `bot-${name}` }, business: { type: "EmptyLoop", options: { idle_time: "10s" } } });

/** A row: the call for a flock name, the status when allowed, and who is allowed. */
interface Row {
  call: (flock: string) => { method: string; path: string; body?: unknown; headers?: Record<string, string> };
  ok: number;
  who: "public" | "read" | "flock" | "admin";
  /** Put the flock back in a known state before the call. */
  reset?: "exists" | "paused";
}

const ROWS: Record<string, Row> = {
  "GET /flocks": { call: () => ({ method: "GET", path: "/flocks" }), ok: 200, who: "read" },
  "PUT /flocks": { call: (f) => ({ method: "PUT", path: "/flocks", body: flockBody(f) }), ok: 201, who: "flock" },
  "GET /flocks/{flock}": { call: (f) => ({ method: "GET", path: `/flocks/${f}` }), ok: 200, who: "read" },
  "DELETE /flocks/{flock}": { call: (f) => ({ method: "DELETE", path: `/flocks/${f}` }), ok: 204, who: "flock" },
  "PATCH /flocks/{flock}": { call: (f) => ({ method: "PATCH", path: `/flocks/${f}`, body: { count: 2 } }), ok: 200, who: "flock" },
  "POST /flocks/{flock}/pause": { call: (f) => ({ method: "POST", path: `/flocks/${f}/pause` }), ok: 200, who: "flock" },
  "POST /flocks/{flock}/resume": { call: (f) => ({ method: "POST", path: `/flocks/${f}/resume` }), ok: 200, who: "flock", reset: "paused" },
  "POST /flocks/{flock}/refresh": { call: (f) => ({ method: "POST", path: `/flocks/${f}/refresh` }), ok: 409, who: "flock" }, // EmptyLoop has no repository
  "GET /flocks/{flock}/monkeys": { call: (f) => ({ method: "GET", path: `/flocks/${f}/monkeys` }), ok: 200, who: "read" },
  "GET /flocks/{flock}/monkeys/{monkey}": { call: (f) => ({ method: "GET", path: `/flocks/${f}/monkeys/bot-${f}1` }), ok: 200, who: "read" },
  "GET /flocks/{flock}/monkeys/{monkey}/log": { call: (f) => ({ method: "GET", path: `/flocks/${f}/monkeys/bot-${f}1/log` }), ok: 200, who: "read" },
  "GET /flocks/{flock}/summary": { call: (f) => ({ method: "GET", path: `/flocks/${f}/summary` }), ok: 200, who: "read" },
  "GET /flocks/{flock}/executions": { call: (f) => ({ method: "GET", path: `/flocks/${f}/executions` }), ok: 200, who: "read" },
  "GET /executions/{id}": { call: () => ({ method: "GET", path: "/executions/0000000000000000" }), ok: 404, who: "read" },
  "GET /flocks/{flock}/timings": { call: (f) => ({ method: "GET", path: `/flocks/${f}/timings` }), ok: 200, who: "read" }, // issue 5 timings
  "GET /solitary/executions": { call: () => ({ method: "GET", path: "/solitary/executions" }), ok: 200, who: "read" }, // stored POST /run results
  "GET /artifacts/{id}": { call: () => ({ method: "GET", path: "/artifacts/nope" }), ok: 404, who: "read" },
  "GET /summary": { call: () => ({ method: "GET", path: "/summary" }), ok: 200, who: "read" },
  "GET /flocks/{flock}/activity": { call: (f) => ({ method: "GET", path: `/flocks/${f}/activity` }), ok: 200, who: "read" },
  "GET /whoami": { call: () => ({ method: "GET", path: "/whoami" }), ok: 200, who: "read" },
  "GET /discovery": { call: () => ({ method: "GET", path: "/discovery" }), ok: 200, who: "read" },
  "POST /run": { call: () => ({ method: "POST", path: "/run", body: {} }), ok: 422, who: "admin" }, // 422: past authorization, the body is refused
  "GET /metrics": { call: () => ({ method: "GET", path: "/metrics" }), ok: 200, who: "read" },
  "GET /audit": { call: () => ({ method: "GET", path: "/audit" }), ok: 200, who: "admin" },
  "GET /healthz": { call: () => ({ method: "GET", path: "/healthz" }), ok: 200, who: "public" },
  "GET /readyz": { call: () => ({ method: "GET", path: "/readyz" }), ok: 200, who: "public" },
  "POST /github/webhook": { call: () => ({ method: "POST", path: "/github/webhook", ...signedPing() }), ok: 202, who: "public" }, // authenticated by its signature, not a token
};

/** A ping delivery signed with the webhook secret (answered 202 ignored). */
function signedPing(): { body: unknown; headers: Record<string, string> } {
  const payload = { zen: "Design for failure.", hook_id: 1 };
  return { body: payload, headers: signedDelivery(SECRET, "ping", payload).headers };
}

/** Routes outside the OpenAPI document: all public (no data in them), with their content type. */
const PUBLIC_ROWS: Record<string, { path: (flock: string) => string; type: RegExp }> = {
  "GET /openapi.json": { path: () => "/openapi.json", type: /^application\/json/ },
  "GET /docs": { path: () => "/docs", type: /^text\/html/ },
  "GET /ui": { path: () => "/ui", type: /^text\/html/ },
  "GET /ui/": { path: () => "/ui/", type: /^text\/html/ },
  "GET /ui/flocks/{flock}": { path: (f) => `/ui/flocks/${f}`, type: /^text\/html/ },
  "GET /ui/executions": { path: () => "/ui/executions", type: /^text\/html/ },
  "GET /ui/executions/{id}": { path: () => "/ui/executions/0000000000000000", type: /^text\/html/ },
  "GET /ui/timings": { path: () => "/ui/timings", type: /^text\/html/ },
  "GET /ui/audit": { path: () => "/ui/audit", type: /^text\/html/ },
  "GET /ui/app.js": { path: () => "/ui/app.js", type: /^text\/javascript/ },
  "GET /ui/app.css": { path: () => "/ui/app.css", type: /^text\/css/ },
  "GET /ui/chart.js": { path: () => "/ui/chart.js", type: /^text\/javascript/ },
  "GET /ui/timings.js": { path: () => "/ui/timings.js", type: /^text\/javascript/ },
  "GET /ui/audit.js": { path: () => "/ui/audit.js", type: /^text\/javascript/ },
};

/** Every `METHOD /path` the server routes (HEAD aside), read from Fastify's route tree; `:p` becomes `{p}`. */
function servedRoutes(app: FastifyInstance): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = /^([│ ]*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join("").replace(/:(\w+)/g, "{$1}");
    for (const method of m[3]!.split(", ")) if (method !== "HEAD") out.push(`${method} ${path}`);
  }
  return out;
}

function expected(row: Row, as: Role, target: Target): number {
  if (row.who === "public") return row.ok;
  if (as === "gateway-unmapped") return 403;
  const role = as.replace("gateway-", "") as Role;
  if (role === "anonymous") return 401;
  if (row.who === "read" || role === "admin") return row.ok;
  if (row.who === "admin" || role === "viewer") return 403;
  return target === "own" ? row.ok : 403;
}

describe("authorization matrix", () => {
  let fake: FakeGitHub;
  let troop: TestTroop;
  const headers: Record<Role, Record<string, string>> = { admin: {}, owner: { authorization: `Bearer ${OWNER_TOKEN}` }, viewer: { authorization: `Bearer ${VIEWER_TOKEN}` }, anonymous: { authorization: "" }, ...gatewayHeaders };
  beforeAll(async () => {
    fake = await startFakeGitHub();
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: `${securityYaml}${githubYaml(fake, { concurrency: 0 })}` });
  });
  afterAll(async () => {
    await troop?.close();
    await fake?.close();
  });

  it("has a row for every route of the OpenAPI document", async () => {
    const doc = (await troop.api("GET", "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(ops.sort()).toEqual(Object.keys(ROWS).sort());
  });

  it("has a row for every route the server serves, in the document or not", () => {
    expect(servedRoutes(troop.container.server).sort()).toEqual([...Object.keys(ROWS), ...Object.keys(PUBLIC_ROWS)].sort());
  });

  const publicCases = Object.entries(PUBLIC_ROWS).flatMap(([route, row]) => ROLES.map((role) => [route, role, row] as const));
  it.each(publicCases)("%s as %s: 200, public", async (_r, role, row) => {
    const r = await troop.container.server.inject({ method: "GET", url: row.path("other-a"), headers: headers[role] });
    expect(r.statusCode, r.body.slice(0, 200)).toBe(200);
    expect(String(r.headers["content-type"])).toMatch(row.type);
  });

  const cases = Object.entries(ROWS).flatMap(([route, row]) => ROLES.flatMap((role) => (["own", "other"] as const).map((target) => ({ route, row, role, target }))));
  it.each(cases.map((c) => [c.route, c.role, c.target, c] as const))("%s as %s on the %s flock", async (_r, role, target, { row }) => {
    const flock = target === "own" ? "own-a" : "other-a";
    const names = (await troop.api("GET", "/flocks")).body as string[];
    if (!names.includes(flock)) expect((await troop.api("PUT", "/flocks", flockBody(flock))).status).toBe(201);
    if (row.reset === "paused") await troop.api("POST", `/flocks/${flock}/pause`);
    const { method, path, body, headers: extra } = row.call(flock);
    const r = await troop.api(method, path, body, { ...headers[role], ...extra });
    expect(r.status, r.raw).toBe(expected(row, role, target));
    if (r.status === 403) expect(r.body.code).toBe("forbidden");
    if (r.status === 401) expect(r.body.code).toBe("unauthorized");
  });
});
