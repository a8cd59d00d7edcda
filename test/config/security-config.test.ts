/**
 * The security part of the service config: principals with hashed tokens, located problems.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigText } from "../../src/config/load.js";

const problems = (text: string) => {
  try {
    loadConfigText(text, "t.yaml", {});
    return [];
  } catch (err) {
    return (err as ConfigError).problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
  }
};

describe("security config", () => {
  it("accepts principals and defaults the failed-authentication limit", () => {
    const { config } = loadConfigText(`principals:\n  - { name: a, role: viewer, tokenSha256: "${"ab".repeat(32)}" }\n`, "t.yaml", {});
    expect(config.principals[0]).toMatchObject({ name: "a", role: "viewer", flocks: [] });
    expect(config.failedAuth).toEqual({ maxFailures: 20, window: 60_000 });
    expect(Object.isFrozen(config.principals)).toBe(true);
  });

  it("locates a plain token, a bad role, grants of non-owners and duplicates", () => {
    const text = [
      "principals:",
      "  - { name: a, role: owner, tokenSha256: not-a-hash }",
      "  - { name: a, role: root, tokenSha256: " + "cd".repeat(32) + " }",
      "  - { name: c, role: viewer, tokenSha256: " + "cd".repeat(32) + ", scopes: [x] }",
      "  - { name: d, role: owner, tokenSha256: " + "ef".repeat(32) + " }",
    ].join("\n");
    const got = problems(text);
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^2:principals\[0\]\.tokenSha256: expected the SHA-256/),
        expect.stringMatching(/^3:principals\[1\]\.role:/),
        expect.stringMatching(/^4:principals\[2\]\.role: flocks, businesses and scopes are grants of owners only/),
        expect.stringMatching(/^5:principals\[3\]\.flocks: an owner needs/),
      ]),
    );
  });

  it("leaves the gateway off by default with Gafaelfawr's header names", () => {
    const { config } = loadConfigText("logLevel: info\n", "t.yaml", {});
    expect(config.gateway).toEqual({ enabled: false, trustedProxies: [], userHeader: "X-Auth-Request-User", scopesHeader: "X-Auth-Request-Token-Scopes", roles: [], grants: {}, noRole: "forbidden" });
  });

  it("accepts a gateway with addresses, CIDRs and rules", () => {
    const text = "gateway:\n  enabled: true\n  trustedProxies: [10.0.0.0/8, 192.168.1.7, \"fd00::/8\", \"::1\"]\n  roles: [{ scope: exec:admin, role: admin }, { scope: exec:tap, role: owner, grant: tap }]\n  grants: { tap: { flocks: [tap-*] } }\n";
    const { config } = loadConfigText(text, "t.yaml", {});
    expect(config.gateway.grants["tap"]).toEqual({ flocks: ["tap-*"], businesses: [], scopes: [], maxCount: 1 });
  });

  it("locates gateway problems: bad addresses, no proxy, grants missing or misplaced", () => {
    const text = [
      "gateway:",
      "  enabled: true",
      "  trustedProxies: [10.0.0.0/33, example.org, 1.2.3.4/8/1]",
      "  roles:",
      "    - { scope: exec:tap, role: owner }",
      "    - { scope: read:all, role: viewer, grant: tap }",
      "    - { scope: exec:x, role: owner, grant: nope }",
      "    - { scope: \"a b\", role: root }",
    ].join("\n");
    const got = problems(text);
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^3:gateway\.trustedProxies\[0\]: expected an IP address or a CIDR/),
        expect.stringMatching(/^3:gateway\.trustedProxies\[1\]: expected an IP address/),
        expect.stringMatching(/^3:gateway\.trustedProxies\[2\]: expected an IP address/),
        expect.stringMatching(/^8:gateway\.roles\[3\]\.scope: a scope has no spaces/),
        expect.stringMatching(/^8:gateway\.roles\[3\]\.role:/),
      ]),
    );
    const rules = problems("gateway:\n  enabled: true\n  roles:\n    - { scope: exec:tap, role: owner }\n    - { scope: read:all, role: viewer, grant: tap }\n    - { scope: exec:x, role: owner, grant: nope }\n");
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/gateway\.trustedProxies: an enabled gateway needs at least one trusted proxy/),
        expect.stringMatching(/^4:gateway\.roles\[0\]\.grant: an owner rule needs a grant/),
        expect.stringMatching(/^5:gateway\.roles\[1\]\.grant: only owner rules have a grant/),
        expect.stringMatching(/^6:gateway\.roles\[2\]\.grant: no grant named nope/),
      ]),
    );
  });

  it("reports an alias without its anchor as a located problem, not a crash", () => {
    expect(problems("*-")[0]).toMatch(/\(syntax\)/);
  });
});
