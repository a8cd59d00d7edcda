/** The repository cache with real git against local bare repositories (file:// URLs). */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GitError, redactUrl, shallowCheckout } from "../../src/clients/git.js";
import { RepoCache } from "../../src/store/repo-cache.js";
import { createTestRepo } from "../support/notebook-repo.js";

const signal = () => AbortSignal.timeout(30_000);
const settle = () => new Promise((r) => setTimeout(r, 100));

function counting() {
  const calls: string[] = [];
  const clone: typeof shallowCheckout = (o) => (calls.push(o.ref), shallowCheckout(o));
  return { calls, cache: new RepoCache(mkdtempSync(join(tmpdir(), "troop-repos-")), clone) };
}

describe("RepoCache", () => {
  it("clones once per (url, ref) for concurrent monkeys, shallow, and reports the commit", async () => {
    const repo = createTestRepo({ "a.ipynb": "one" });
    repo.commit({ "a.ipynb": "two" });
    const { calls, cache } = counting();
    const [a, b] = await Promise.all([cache.acquire(repo.url, "main", signal()), cache.acquire(repo.url, "main", signal())]);
    expect(calls).toEqual(["main"]);
    expect(a.dir).toBe(b.dir);
    expect(a.commit).toBe(repo.head());
    expect(readFileSync(join(a.dir, "a.ipynb"), "utf8")).toBe("two");
    expect(execFileSync("git", ["rev-list", "--count", "HEAD"], { cwd: a.dir, encoding: "utf8" }).trim()).toBe("1");
    expect(execFileSync("git", ["remote"], { cwd: a.dir, encoding: "utf8" }).trim()).toBe("");
    a.release();
    b.release();
    await settle();
    expect(existsSync(a.dir)).toBe(true); // still the current checkout
    const again = await cache.acquire(repo.url, "main", signal());
    expect(calls).toHaveLength(1);
    again.release();
  });

  it("after invalidate, clones the new commit; the old checkout lives until its last holder releases it", async () => {
    const repo = createTestRepo({ "a.ipynb": "one" });
    const { calls, cache } = counting();
    const old = await cache.acquire(repo.url, "main", signal());
    const c2 = repo.commit({ "a.ipynb": "two" });
    cache.invalidate(repo.url, "main");
    const fresh = await cache.acquire(repo.url, "main", signal());
    expect(calls).toHaveLength(2);
    expect(fresh.commit).toBe(c2);
    expect(fresh.dir).not.toBe(old.dir);
    await settle();
    expect(existsSync(old.dir)).toBe(true);
    old.release();
    old.release(); // idempotent
    await settle();
    expect(existsSync(old.dir)).toBe(false);
    expect(cache.listCheckouts().map((c) => c.commit)).toEqual([c2]);
    fresh.release();
  });

  it("keeps the same checkout when a refresh finds the same commit", async () => {
    const repo = createTestRepo({ "a.ipynb": "one" });
    const { calls, cache } = counting();
    const first = await cache.acquire(repo.url, "main", signal());
    cache.invalidate(repo.url, "main");
    const second = await cache.acquire(repo.url, "main", signal());
    expect(calls).toHaveLength(2);
    expect(second.dir).toBe(first.dir);
    expect(cache.listCheckouts()).toHaveLength(1);
    first.release();
    second.release();
  });

  it("checks out tags and commits as well as branches", async () => {
    const repo = createTestRepo({ "a.ipynb": "one" });
    const c1 = repo.head();
    execFileSync("git", ["tag", "v1"], { cwd: repo.work });
    execFileSync("git", ["push", "-q", "origin", "v1"], { cwd: repo.work });
    repo.commit({ "a.ipynb": "two" });
    const { cache } = counting();
    expect((await cache.acquire(repo.url, "v1", signal())).commit).toBe(c1);
    expect((await cache.acquire(repo.url, c1, signal())).commit).toBe(c1);
    expect((await cache.acquire(repo.url, c1.slice(0, 10), signal())).commit).toBe(c1);
  });

  it("fails with git's message for an unknown ref or an unreachable URL, and tries again on the next acquire", async () => {
    const repo = createTestRepo({ "a.ipynb": "one" });
    const { calls, cache } = counting();
    await expect(cache.acquire(repo.url, "no-such-branch", signal())).rejects.toThrow(/^git fetch failed: fatal: couldn't find remote ref no-such-branch/);
    await expect(cache.acquire(repo.url, "no-such-branch", signal())).rejects.toBeInstanceOf(GitError);
    expect(calls).toHaveLength(2);
    await expect(cache.acquire("file:///nonexistent/repo.git", "main", signal())).rejects.toThrow(/does not appear to be a git repository|does not exist/);
    expect(cache.listCheckouts()).toEqual([]);
  });

  it("never shows credentials of a URL in a message", async () => {
    const { cache } = counting();
    const err = await cache.acquire("http://bot:hunter2-token@127.0.0.1:9/repo.git", "main", signal()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toMatch(/127\.0\.0\.1/);
    expect((err as Error).message).not.toContain("hunter2");
    expect(redactUrl("see https://u:p@h/x and git@github.com:a/b")).toBe("see https://***@h/x and git@github.com:a/b");
  });

  it("removes checkouts left behind by a dead process when it starts", () => {
    const root = mkdtempSync(join(tmpdir(), "troop-repos-"));
    const dead = join(root, "0123456789abcdef", "999999999-1");
    const mine = join(root, "0123456789abcdef", `${process.pid}-1`);
    mkdirSync(dead, { recursive: true });
    mkdirSync(mine, { recursive: true });
    new RepoCache(root);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });
});
