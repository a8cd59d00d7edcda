/**
 * Grants, hardening and the audit log through the HTTP API (in-process): owners' grants
 * (business, scopes, count), the repository allow-list, the failed-authentication limit, header
 * and body limits, strict schemas, and audit entries with secrets redacted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenSha256 } from "../../src/api/auth.js";
import { startTroop, type TestTroop } from "../support/troop.js";

const OWNER_TOKEN = "owner-token-canary-5e0f1a2b3c";
const VIEWER_TOKEN = "viewer-token-canary-9a8b7c6d5e";
const owner = { authorization: `Bearer ${OWNER_TOKEN}` };
const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };

const yaml = `
logLevel: debug
shutdownTimeout: 5s
repoUrlPrefixes: ["https://github.com/lsst-sqre/"]
failedAuth: { maxFailures: 5, window: 1h }
principals:
  - name: tap-team
    role: owner
    tokenSha256: ${tokenSha256(OWNER_TOKEN)}
    flocks: ["tap-*"]
    businesses: [EmptyLoop]
    scopes: ["read:tap", "read:image"]
    maxCount: 3
  - name: watcher
    role: viewer
    tokenSha256: ${tokenSha256(VIEWER_TOKEN).toUpperCase()}
`;

const flock = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  count: 1,
  scopes: ["read:tap"],
  user_spec: { username_prefix: `bot-${name}` },
  business: { type: "EmptyLoop", options: { idle_time: "10s" } },
  ...extra,
});

describe("permissions and hardening", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml });
  });
  afterAll(async () => troop?.close());

  it("lets an owner start a flock within its grant and records it in the audit log", async () => {
    expect((await troop.api("PUT", "/flocks", flock("tap-one"), owner)).status).toBe(201);
    const audit = (await troop.api("GET", "/audit?flock=tap-one")).body;
    expect(audit[0]).toMatchObject({ actor: "tap-team", role: "owner", action: "put_flock", flock: "tap-one", before: null });
    expect(audit[0].after.config.name).toBe("tap-one");
  });

  it("refuses scopes outside the grant with 403 scope_not_allowed and starts nothing", async () => {
    const r = await troop.api("PUT", "/flocks", flock("tap-two", { scopes: ["read:tap", "admin:users"] }), owner);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: "scope_not_allowed", errors: [{ path: "scopes" }] });
    expect(r.body.message).toContain("admin:users");
    expect((await troop.api("GET", "/flocks")).body).not.toContain("tap-two");
  });

  it("refuses business types and counts outside the grant", async () => {
    const business = { type: "NubladoPythonLoop", options: {} };
    expect((await troop.api("PUT", "/flocks", flock("tap-two", { business }), owner)).body.code).toBe("business_not_allowed");
    expect((await troop.api("PUT", "/flocks", flock("tap-two", { count: 4 }), owner)).body.code).toBe("count_not_allowed");
    const patch = await troop.api("PATCH", "/flocks/tap-one", { count: 4 }, owner);
    expect(patch.status).toBe(403);
    expect(patch.body.code).toBe("count_not_allowed");
    expect((await troop.api("PATCH", "/flocks/tap-one", { count: 3 }, owner)).status).toBe(200);
  });

  it("refuses flocks outside the owner's patterns and every change by a viewer", async () => {
    expect((await troop.api("PUT", "/flocks", flock("python"), owner)).body.code).toBe("forbidden");
    expect((await troop.api("POST", "/flocks/tap-one/pause", undefined, viewer)).body.code).toBe("forbidden");
    expect((await troop.api("GET", "/audit", undefined, viewer)).status).toBe(403);
  });

  it("keeps repo_url within repoUrlPrefixes, for admins too", async () => {
    const business = { type: "NotebookRunnerCounting", options: { repo_url: "https://evil.example.org/notebooks.git" } };
    const r = await troop.api("PUT", "/flocks", flock("nb", { business }));
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: "repo_not_allowed", errors: [{ path: "business.options.repo_url" }] });
    for (const repo_url of ["https://github.com/lsst-sqre/../evil/x.git", "https://github.com/lsst-sqre/%2E%2E/evil/x.git", "https://github.com/lsst-sqre-evil/x.git", "https://github.com/lsst-sqre\\..\\evil/x.git"]) {
      const bypass = await troop.api("PUT", "/flocks", flock("nb", { business: { type: "NotebookRunnerCounting", options: { repo_url } } }));
      expect(bypass.status, repo_url).toBe(403);
      expect(bypass.body.code).toBe("repo_not_allowed");
    }
    expect((await troop.api("GET", "/flocks")).body).not.toContain("nb");
  });

  it("rejects unknown fields with their path (422) and changes nothing", async () => {
    const before = (await troop.api("GET", "/audit")).body.length;
    const r = await troop.api("PUT", "/flocks", flock("tap-three", { extra: 1, business: { type: "EmptyLoop", options: { idle_time: 1, bogus: true } } }), owner);
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["extra", "business.options.bogus"]));
    expect((await troop.api("PATCH", "/flocks/tap-one", { count: 2, x: 1 }, owner)).status).toBe(422);
    expect((await troop.api("GET", "/audit?nope=1")).status).toBe(422);
    expect((await troop.api("GET", "/audit")).body.length).toBe(before);
  });

  it("answers 431 headers_too_large for oversized headers", async () => {
    const r = await troop.api("GET", "/flocks", undefined, { "x-padding": "a".repeat(20_000) });
    expect(r.status).toBe(431);
    expect(r.body.code).toBe("headers_too_large");
  });

  it("redacts secrets in audit entries", async () => {
    const { AuditService } = await import("../../src/services/audit.js");
    const svc = new AuditService({ store: null as never, scrubber: troop.scrubber, logger: troop.container.logger, snapshot: () => null });
    const redacted = svc.redact({ token: "abcdefghijkl", nested: { webhook_url: "https://hooks/x", repo_url: "https://user:pw@github.com/x.git", note: `uses ${troop.token}` } });
    expect(redacted).toEqual({ token: "[REDACTED]", nested: { webhook_url: "[REDACTED]", repo_url: "https://[REDACTED]@github.com/x.git", note: "uses [REDACTED]" } });
  });

  it("never shows a principal's token in a response, a log line or an audit row", async () => {
    const rows = JSON.stringify(await (troop.container.store as unknown as { db: { selectFrom(t: string): { selectAll(): { execute(): Promise<unknown[]> } } } }).db.selectFrom("audit").selectAll().execute());
    for (const secret of [OWNER_TOKEN, VIEWER_TOKEN, troop.token]) {
      for (const text of [...troop.responses, ...troop.logs, rows]) expect(text.includes(secret)).toBe(false);
    }
  });

  it("redacts a principal token echoed in an error even before it was ever presented", async () => {
    const NEVER = "never-presented-token-7c3d9e"; // configured only as a hash, used by nobody yet
    const t = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: `${yaml}  - { name: idle, role: viewer, tokenSha256: ${tokenSha256(NEVER)} }\n` });
    try {
      const path = await t.api("GET", `/flocks/${NEVER}`);
      expect(path.status).toBe(404);
      const body = await t.api("PUT", "/flocks", { ...flock("tap-x"), [NEVER]: 1 });
      expect(body.status).toBe(422);
      const text = JSON.stringify([path.body, body.body]);
      expect(text).not.toContain(NEVER);
      expect(text).toContain("[REDACTED]");
      expect(t.scrubber.seen).not.toContain(NEVER); // redacted by its hash, not learnt
    } finally {
      await t.close();
    }
  });

  it("limits failed authentication per address with 429 too_many_failed_logins", async () => {
    const remoteAddress = "10.1.2.3";
    const call = (authorization: string) => troop.container.server.inject({ method: "GET", url: "/flocks", remoteAddress, headers: { authorization } });
    for (let i = 0; i < 5; i++) expect((await call("Bearer wrong-token-0123456789")).statusCode).toBe(401);
    const limited = await call(`Bearer ${troop.token}`);
    expect(limited.statusCode).toBe(429);
    expect(JSON.parse(limited.body).code).toBe("too_many_failed_logins");
    expect((await troop.api("GET", "/flocks")).status).toBe(200); // other addresses are not affected
  });
});
