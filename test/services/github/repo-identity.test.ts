/** Repository identity and ref matching of refresh-on-push, and which flocks a push concerns. */
import { describe, expect, it } from "vitest";
import { matchingFlocks } from "../../../src/services/github/push-refresh.js";
import { refMatches, repoIdentity, sameRepo } from "../../../src/services/github/repo-identity.js";

describe("repository identity", () => {
  it("treats https, ssh, scp-like, git:// forms, .git, slashes, credentials and case as the same repository", () => {
    const forms = [
      "https://github.com/lsst-sqre/notebook-demo",
      "https://github.com/lsst-sqre/notebook-demo.git",
      "https://github.com/LSST-SQRE/Notebook-Demo/",
      "http://github.com/lsst-sqre/notebook-demo.git",
      "https://x-access-token:ghs_abc@github.com/lsst-sqre/notebook-demo.git",
      "git@github.com:lsst-sqre/notebook-demo.git",
      "github.com:lsst-sqre/notebook-demo",
      "ssh://git@github.com/lsst-sqre/notebook-demo.git",
      "ssh://git@github.com:22/lsst-sqre/notebook-demo",
      "git://github.com/lsst-sqre/notebook-demo.git",
    ];
    for (const f of forms) expect(repoIdentity(f), f).toBe("github.com/lsst-sqre/notebook-demo");
  });

  it("tells different repositories and hosts apart", () => {
    expect(sameRepo("https://github.com/org/repo", "https://github.com/org/repo2")).toBe(false);
    expect(sameRepo("https://github.com/org/repo", "https://github.example.org/org/repo")).toBe(false);
    expect(sameRepo("git@github.com:org/repo.git", "https://github.com/other/repo")).toBe(false);
    expect(sameRepo("file:///tmp/x/origin.git", "file:///tmp/x/origin")).toBe(true);
    expect(sameRepo("file:///tmp/x/origin.git", "file:///tmp/y/origin.git")).toBe(false);
  });

  it("matches refs by full or short branch and tag names", () => {
    expect(refMatches("refs/heads/main", "main")).toBe(true);
    expect(refMatches("refs/heads/main", "refs/heads/main")).toBe(true);
    expect(refMatches("refs/heads/main", "heads/main")).toBe(true);
    expect(refMatches("refs/tags/v1.2", "v1.2")).toBe(true);
    expect(refMatches("refs/tags/v1.2", "refs/tags/v1.2")).toBe(true);
    expect(refMatches("refs/heads/main", "prod")).toBe(false);
    expect(refMatches("refs/heads/Main", "main")).toBe(false);
    expect(refMatches("refs/heads/feature/x", "feature/x")).toBe(true);
    expect(refMatches("refs/heads/v1", "refs/tags/v1")).toBe(false);
  });

  it("selects only notebook-runner flocks of the pushed repository and ref", () => {
    const flocks: Record<string, { type: string; options: Record<string, unknown> }> = {
      a: { type: "NotebookRunnerList", options: { repo_url: "https://github.com/org/nbs.git", repo_ref: "main" } },
      b: { type: "NotebookRunnerCounting", options: { repo_url: "git@github.com:org/nbs", repo_ref: "refs/heads/main" } },
      c: { type: "NotebookRunnerInfinite", options: { repo_url: "https://github.com/org/nbs", repo_ref: "prod" } },
      d: { type: "NubladoPythonLoop", options: {} },
      e: { type: "NotebookRunnerList", options: { repo_url: "https://github.com/org/other", repo_ref: "main" } },
    };
    const manager = {
      listFlocks: () => Object.keys(flocks),
      getFlock: (n: string) => ({ definition: { type: flocks[n]!.type }, storedConfig: { business: flocks[n] } }),
    } as never;
    expect(matchingFlocks(manager, { urls: ["https://github.com/org/nbs.git", "git@github.com:org/nbs.git"], ref: "refs/heads/main" })).toEqual(["a", "b"]);
    expect(matchingFlocks(manager, { urls: ["https://github.com/ORG/NBS"], ref: "refs/heads/prod" })).toEqual(["c"]);
    expect(matchingFlocks(manager, { urls: ["https://github.com/org/nbs"], ref: "refs/tags/main" })).toEqual(["a"]);
  });
});
