/**
 * `GET /whoami` in-process (no hub): name, role and grant of the admin token, an owner, a viewer
 * and a gateway user, never a token or its hash; 401 without a token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenSha256 } from "../../src/api/auth.js";
import { startTroop, type TestTroop } from "../support/troop.js";

const OWNER = "owner-token-whoami-4f2a9c1d7e";
const VIEWER = "viewer-token-whoami-8b3e6d0a5c";
const YAML = `logLevel: info
principals:
  - { name: tap-team, role: owner, tokenSha256: ${tokenSha256(OWNER)}, flocks: ["tap-*", "sia"], businesses: [EmptyLoop], maxCount: 3 }
  - { name: watcher, role: viewer, tokenSha256: ${tokenSha256(VIEWER)} }
gateway:
  enabled: true
  trustedProxies: ["127.0.0.1/32"]
  roles:
    - { scope: "read:troop", role: viewer }
`;

describe("GET /whoami", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: YAML });
  });
  afterAll(async () => troop?.close());

  it("names the caller, its role and its grant, and nothing secret", async () => {
    const as = (authorization: string, extra: Record<string, string> = {}) => troop.api("GET", "/whoami", undefined, { authorization, ...extra });
    const admin = await as(`Bearer ${troop.token}`);
    expect([admin.status, admin.body]).toEqual([200, { name: "admin", role: "admin", flocks: [], max_count: null }]);
    expect((await as(`Bearer ${OWNER}`)).body).toEqual({ name: "tap-team", role: "owner", flocks: ["tap-*", "sia"], max_count: 3 });
    expect((await as(`Bearer ${VIEWER}`)).body).toEqual({ name: "watcher", role: "viewer", flocks: [], max_count: null });
    const gw = await as("", { "x-auth-request-user": "gw-user", "x-auth-request-token-scopes": "read:troop" });
    expect(gw.body).toEqual({ name: "gateway:gw-user", role: "viewer", flocks: [], max_count: null });
    expect((await as("")).status).toBe(401);
    for (const [token, r] of [[troop.token, admin], [OWNER, await as(`Bearer ${OWNER}`)], [VIEWER, await as(`Bearer ${VIEWER}`)]] as const) {
      expect(r.raw).not.toContain(token);
      expect(r.raw).not.toContain(tokenSha256(token));
      expect(r.raw).not.toMatch(/token/i);
    }
    const doc = (await troop.api("GET", "/openapi.json")).body;
    expect(JSON.stringify(doc.paths["/whoami"].get.responses["200"])).toMatch(/"max_count"/);
  });
});
