/**
 * The Authorizer and the Authenticator on their own: glob patterns, grants, hashed tokens and
 * the failed-authentication window.
 */
import { describe, expect, it } from "vitest";
import { Authenticator, tokenSha256 } from "../../src/api/auth.js";
import { Authorizer, globMatch, underPrefix, unsafePath } from "../../src/services/authz.js";

const owner = { name: "tap-team", role: "owner" as const, flocks: ["tap-*"], businesses: ["EmptyLoop"], scopes: ["read:tap"], maxCount: 2 };

describe("Authorizer", () => {
  it("matches flock globs whole, with * for any run of characters", () => {
    expect(globMatch("tap-*", "tap-1")).toBe(true);
    expect(globMatch("tap-*", "xtap-1")).toBe(false);
    expect(globMatch("a.b", "axb")).toBe(false);
    expect(globMatch("*", "anything")).toBe(true);
  });

  it("refuses a flock change outside the grant with a stable code", () => {
    const authz = new Authorizer({ repoUrlPrefixes: [] });
    const code = (fn: () => void) => {
      try {
        fn();
        return "allowed";
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(code(() => authz.check(owner, "flock", { params: { flock: "tap-1" }, body: { count: 2 } }))).toBe("allowed");
    expect(code(() => authz.check(owner, "flock", { params: { flock: "tap-1" }, body: { count: 3 } }))).toBe("count_not_allowed");
    expect(code(() => authz.check(owner, "flock", { params: { flock: "py" }, body: undefined }))).toBe("forbidden");
    expect(code(() => authz.check(owner, "admin", { params: {}, body: undefined }))).toBe("forbidden");
    expect(code(() => authz.check({ ...owner, role: "viewer" }, "read", { params: {}, body: undefined }))).toBe("allowed");
    expect(code(() => authz.check(null, "read", { params: {}, body: undefined }))).toBe("forbidden");
  });
});

describe("repoUrlPrefixes", () => {
  const repoCode = (prefixes: string[], url: string) => {
    try {
      new Authorizer({ repoUrlPrefixes: prefixes }).check({ ...owner, role: "admin" }, "flock", { params: {}, body: { name: "x", business: { type: "NotebookRunnerList", options: { repo_url: url } } } });
      return "allowed";
    } catch (err) {
      return (err as { code: string }).code;
    }
  };

  it("refuses dot segments, empty segments, backslashes and encoded separators under an allowed prefix", () => {
    const prefixes = ["https://github.com/lsst-sqre/", "git@github.com:lsst-sqre/"];
    for (const url of [
      "https://github.com/lsst-sqre/../evil/x.git",
      "https://github.com/lsst-sqre/./../evil/x.git",
      "https://github.com/lsst-sqre/%2e%2e/evil/x.git",
      "https://github.com/lsst-sqre/%2E./evil/x.git",
      "https://github.com/lsst-sqre/..%2fevil/x.git",
      "https://github.com/lsst-sqre/..\\evil\\x.git",
      "https://github.com/lsst-sqre//evil/x.git",
      "https://github.com/lsst-sqre/x/..",
      "git@github.com:lsst-sqre/../evil/x.git",
    ]) {
      expect(repoCode(prefixes, url), url).toBe("repo_not_allowed");
      expect(unsafePath(url), url).toBe(true);
    }
    expect(repoCode(prefixes, "https://github.com/lsst-sqre/notebook-demo.git")).toBe("allowed");
    expect(repoCode(prefixes, "git@github.com:lsst-sqre/notebook-demo.git")).toBe("allowed");
    expect(repoCode(prefixes, "https://github.com/lsst-sqre/tutorial.notebooks..v2.git")).toBe("allowed"); // dots inside a name are fine
  });

  it("needs a path-segment boundary after the prefix", () => {
    expect(repoCode(["https://github.com/lsst-sqre"], "https://github.com/lsst-sqre-evil/x")).toBe("repo_not_allowed");
    expect(repoCode(["https://github.com/lsst-sqre"], "https://github.com/lsst-sqre/x.git")).toBe("allowed");
    expect(repoCode(["https://github.com/lsst-sqre/notebook-demo"], "https://github.com/lsst-sqre/notebook-demo-evil.git")).toBe("repo_not_allowed");
    expect(underPrefix("https://github.com/lsst-sqre/notebook-demo", "https://github.com/lsst-sqre/notebook-demo")).toBe(true);
    expect(underPrefix("https://github.com/lsst-sqre/notebook-demo.git", "https://github.com/lsst-sqre/notebook-demo")).toBe(true);
    expect(underPrefix("https://github.com/lsst-sqre/notebook-demo.gitx", "https://github.com/lsst-sqre/notebook-demo")).toBe(false);
    expect(underPrefix("git@github.com:lsst-sqre/x.git", "git@github.com:")).toBe(true);
    expect(underPrefix("https://github.com.evil.org/lsst-sqre/x", "https://github.com")).toBe(false);
    expect(underPrefix("https://github.com@evil.org/lsst-sqre/x", "https://github.com")).toBe(false);
  });

  it("compares scheme and host case-insensitively, the path exactly", () => {
    expect(repoCode(["https://github.com/lsst-sqre/"], "HTTPS://GitHub.COM/lsst-sqre/x.git")).toBe("allowed");
    expect(repoCode(["HTTPS://GITHUB.COM/lsst-sqre/"], "https://github.com/lsst-sqre/x.git")).toBe("allowed");
    expect(repoCode(["https://github.com/lsst-sqre/"], "https://github.com/LSST-SQRE/x.git")).toBe("repo_not_allowed");
  });
});

describe("Authenticator", () => {
  const principals = [{ ...owner, tokenSha256: tokenSha256("owner-token-123456") }];

  it("knows principals by the hash of their token and the plain admin token", () => {
    const auth = new Authenticator({ apiToken: "admin-token-1234567890", principals, failedAuth: { maxFailures: 3, window: 1000 } });
    expect(auth.authenticate("Bearer owner-token-123456", "a").name).toBe("tap-team");
    expect(auth.authenticate("bearer admin-token-1234567890", "a").role).toBe("admin");
    expect(() => auth.authenticate("Bearer nope", "a")).toThrow(expect.objectContaining({ code: "unauthorized" }));
  });

  it("refuses an address after too many failures until the window passes", () => {
    let now = 0;
    const auth = new Authenticator({ principals, failedAuth: { maxFailures: 2, window: 1000 }, now: () => now });
    for (let i = 0; i < 2; i++) expect(() => auth.authenticate(undefined, "a")).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => auth.authenticate("Bearer owner-token-123456", "a")).toThrow(expect.objectContaining({ status: 429, code: "too_many_failed_logins" }));
    expect(auth.authenticate("Bearer owner-token-123456", "b").name).toBe("tap-team");
    now = 1000;
    expect(auth.authenticate("Bearer owner-token-123456", "a").name).toBe("tap-team");
  });
});
