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

  it("reports an alias without its anchor as a located problem, not a crash", () => {
    expect(problems("*-")[0]).toMatch(/\(syntax\)/);
  });
});
