/**
 * Identity headers from an authenticating gateway (Gafaelfawr): believed only from the
 * configured trusted proxies (the socket's address, never X-Forwarded-For), scopes mapped to
 * roles by the first matching rule, off by default, and the gateway user named in the audit log;
 * failed authentications behind a trusted proxy counted per client (X-Forwarded-For from
 * trusted proxies only).
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTroop, type TestTroop } from "../support/troop.js";

/** The gateway section, trusting `proxies`. */
export const gatewayYaml = (proxies: string[], extra = "") => `
logLevel: debug
shutdownTimeout: 5s
failedAuth: { maxFailures: 3, window: 1h }
gateway:
  enabled: true
  trustedProxies: ${JSON.stringify(proxies)}
  roles:
    - { scope: "exec:admin", role: admin }
    - { scope: "exec:troop-tap", role: owner, grant: tap }
    - { scope: "read:troop", role: viewer }
  grants:
    tap: { flocks: ["tap-*"], businesses: [EmptyLoop], scopes: ["read:tap"], maxCount: 2 }
${extra}`;

const flock = (name: string) => ({ name, count: 1, scopes: ["read:tap"], user_spec: { username_prefix: `bot-${name}` }, business: { type: "EmptyLoop", options: { idle_time: "10s" } } });

/** A call with gateway headers and no bearer token, from `remoteAddress`. */
async function call(troop: TestTroop, opts: { method?: string; url: string; user?: string; scopes?: string; body?: unknown; from?: string; headers?: Record<string, string> }) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.user !== undefined) headers["x-auth-request-user"] = opts.user;
  if (opts.scopes !== undefined) headers["x-auth-request-token-scopes"] = opts.scopes;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await troop.container.server.inject({
    method: (opts.method ?? "GET") as "GET",
    url: opts.url,
    headers,
    payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    remoteAddress: opts.from ?? "127.0.0.1",
  });
  troop.responses.push(res.body);
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

describe("gateway identity from a trusted proxy", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: gatewayYaml(["127.0.0.1/32", "10.0.0.0/8"]) });
  });
  afterAll(async () => troop?.close());

  it("maps exec:admin to admin and names the gateway user in the audit log", async () => {
    expect((await call(troop, { url: "/audit", user: "alice", scopes: "read:all exec:admin" })).status).toBe(200);
    const put = await call(troop, { method: "PUT", url: "/flocks", user: "alice", scopes: "exec:admin", body: flock("other-a") });
    expect(put.status).toBe(201);
    const audit = (await troop.api("GET", "/audit?flock=other-a")).body;
    expect(audit[0]).toMatchObject({ actor: "gateway:alice", role: "admin", action: "put_flock" });
  });

  it("maps an owner scope to its named grant: own flocks only, within the grant", async () => {
    const scopes = "read:all exec:troop-tap";
    expect((await call(troop, { method: "PUT", url: "/flocks", user: "bob", scopes, body: flock("tap-b") })).status).toBe(201);
    expect((await troop.api("GET", "/audit?flock=tap-b")).body[0]).toMatchObject({ actor: "gateway:bob", role: "owner" });
    const other = await call(troop, { method: "POST", url: "/flocks/other-a/pause", user: "bob", scopes });
    expect(other).toMatchObject({ status: 403, body: { code: "forbidden" } });
    const big = await call(troop, { method: "PATCH", url: "/flocks/tap-b", user: "bob", scopes, body: { count: 3 } });
    expect(big).toMatchObject({ status: 403, body: { code: "count_not_allowed" } });
    expect((await call(troop, { url: "/audit", user: "bob", scopes })).status).toBe(403);
  });

  it("maps a read scope to viewer, and the first matching rule wins", async () => {
    expect((await call(troop, { url: "/flocks", user: "carol", scopes: "read:troop" })).status).toBe(200);
    expect((await call(troop, { method: "POST", url: "/flocks/tap-b/pause", user: "carol", scopes: "read:troop" })).status).toBe(403);
    expect((await call(troop, { url: "/audit", user: "carol", scopes: "read:troop exec:admin" })).status).toBe(200);
  });

  it("refuses a gateway user without a mapped scope with 403 (noRole: forbidden)", async () => {
    for (const scopes of [undefined, "", "read:all exec:notebook"]) {
      const r = await call(troop, { url: "/flocks", user: "dave", ...(scopes === undefined ? {} : { scopes }) });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: "forbidden" });
      expect(r.body.message).toContain("gateway:dave");
    }
  });

  it("refuses a malformed username with 401", async () => {
    for (const user of ["", "a b", "../x", "é"]) expect((await call(troop, { url: "/flocks", user, scopes: "exec:admin" })).status).toBe(401);
  });

  it("lets a principal's bearer token win over the gateway identity", async () => {
    const r = await call(troop, { url: "/audit", user: "erin", scopes: "read:troop", headers: { authorization: `Bearer ${troop.token}` } });
    expect(r.status).toBe(200);
  });

  it("counts no failed authentication against the proxy for gateway users", async () => {
    for (let i = 0; i < 5; i++) expect((await call(troop, { url: "/flocks", user: "frank", scopes: "read:troop", from: "10.9.9.9", headers: { authorization: "Bearer wrong" } })).status).toBe(200);
  });

  it("believes the socket address over a real TCP connection", async () => {
    await troop.container.server.listen({ port: 0, host: "127.0.0.1" });
    const port = (troop.container.server.server.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/flocks`, { headers: { "x-auth-request-user": "gina", "x-auth-request-token-scopes": "read:troop" } });
    expect(res.status).toBe(200);
  });
});

describe("gateway headers from an untrusted address", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: gatewayYaml(["10.0.0.0/8", "fd00::/8"]) });
  });
  afterAll(async () => troop?.close());

  it("ignores them: 401 without a token, the bearer token's role with one", async () => {
    expect((await call(troop, { url: "/flocks", user: "mallory", scopes: "exec:admin" })).status).toBe(401);
    expect((await call(troop, { url: "/flocks", user: "mallory", scopes: "exec:admin", from: "::ffff:127.0.0.1" })).status).toBe(401);
    const viaToken = await call(troop, { method: "PUT", url: "/flocks", user: "mallory", scopes: "exec:admin", body: flock("tap-m"), headers: { authorization: `Bearer ${troop.token}` } });
    expect(viaToken.status).toBe(201);
    expect((await troop.api("GET", "/audit?flock=tap-m")).body[0].actor).toBe("admin");
  });

  it("never believes X-Forwarded-For", async () => {
    const r = await call(troop, { url: "/flocks", user: "mallory", scopes: "exec:admin", headers: { "x-forwarded-for": "10.1.2.3", forwarded: "for=10.1.2.3", "x-real-ip": "10.1.2.3" } });
    expect(r.status).toBe(401);
  });

  it("believes the same headers from a trusted address (IPv4 and IPv6)", async () => {
    expect((await call(troop, { url: "/audit", user: "alice", scopes: "exec:admin", from: "10.1.2.3" })).status).toBe(200);
    expect((await call(troop, { url: "/audit", user: "alice", scopes: "exec:admin", from: "::ffff:10.1.2.3" })).status).toBe(200);
    expect((await call(troop, { url: "/audit", user: "alice", scopes: "exec:admin", from: "fd12::1" })).status).toBe(200);
  });
});

describe("failed authentications behind a trusted proxy", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: gatewayYaml(["10.0.0.0/8"]) });
  });
  afterAll(async () => troop?.close());

  const bearer = (token: string, xff?: string) => ({ authorization: `Bearer ${token}`, ...(xff === undefined ? {} : { "x-forwarded-for": xff }) });
  const status = async (from: string, headers: Record<string, string>) => (await call(troop, { url: "/flocks", from, headers })).status;

  it("counts them against the client the proxy reports, so other clients of the proxy still authenticate", async () => {
    for (let i = 0; i < 3; i++) expect(await status("10.0.0.1", bearer("wrong-token-0123456789", "203.0.113.5"))).toBe(401);
    expect(await status("10.0.0.1", bearer(troop.token, "203.0.113.5"))).toBe(429);
    expect(await status("10.0.0.1", bearer(troop.token, "203.0.113.6"))).toBe(200);
    expect(await status("10.0.0.2", bearer(troop.token, "198.51.100.7, 10.0.0.9"))).toBe(200);
  });

  it("takes the rightmost entry that is not a trusted proxy, so a client cannot dodge the limit by prepending entries", async () => {
    expect(await status("10.0.0.1", bearer(troop.token, "198.51.100.1, 203.0.113.5"))).toBe(429);
    expect(await status("10.0.0.3", bearer(troop.token, "203.0.113.6, 203.0.113.5, 10.0.0.1"))).toBe(429);
    expect(await status("10.0.0.1", bearer(troop.token, "::ffff:203.0.113.5"))).toBe(429);
  });

  it("falls back to one counter per proxy when X-Forwarded-For is absent or malformed", async () => {
    for (let i = 0; i < 3; i++) expect(await status("10.0.0.4", bearer("wrong-token-0123456789"))).toBe(401);
    expect(await status("10.0.0.4", bearer(troop.token))).toBe(429);
    expect(await status("10.0.0.4", bearer(troop.token, "not-an-address"))).toBe(429);
    expect(await status("10.0.0.4", bearer(troop.token, "203.0.113.9"))).toBe(200);
    expect(await status("10.0.0.5", bearer(troop.token))).toBe(200);
  });

  it("never believes X-Forwarded-For from an untrusted peer: a forged one does not dodge the limit", async () => {
    for (let i = 0; i < 3; i++) expect(await status("192.0.2.7", bearer("wrong-token-0123456789", `203.0.113.${100 + i}`))).toBe(401);
    expect(await status("192.0.2.7", bearer(troop.token, "203.0.113.200"))).toBe(429);
    expect(await status("192.0.2.7", bearer(troop.token, "10.0.0.1"))).toBe(429);
    expect(await status("192.0.2.8", bearer(troop.token, "192.0.2.7"))).toBe(200);
  });
});

describe("gateway off by default", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token" });
  });
  afterAll(async () => troop?.close());

  it("ignores identity headers even from 127.0.0.1", async () => {
    expect(troop.container.config.gateway).toMatchObject({ enabled: false, trustedProxies: [] });
    expect((await call(troop, { url: "/flocks", user: "alice", scopes: "exec:admin" })).status).toBe(401);
  });
});

describe("gateway with noRole: viewer", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: gatewayYaml(["127.0.0.1"], "  noRole: viewer\n") });
  });
  afterAll(async () => troop?.close());

  it("makes a user without a mapped scope a viewer", async () => {
    expect((await call(troop, { url: "/flocks", user: "hank" })).status).toBe(200);
    expect((await call(troop, { method: "PUT", url: "/flocks", user: "hank", body: flock("tap-h") })).status).toBe(403);
  });
});
