/**
 * Checkouts of notebook repositories, shared by every monkey of the process: one shallow
 * clone per (url, ref) under `<dataDir>/repos`, reference-counted. `invalidate` (a refresh)
 * makes the next `acquire` clone again; monkeys keep the checkout they hold until they release
 * it, and a checkout nobody holds that is no longer current is deleted. Folders carry the pid
 * of their process, so leftovers of a dead process are swept at start.
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { shallowCheckout } from "../clients/git.js";

/** One monkey's hold on a checkout. */
export interface RepoLease {
  readonly url: string;
  readonly ref: string;
  /** Folder of the working tree. */
  readonly dir: string;
  /** Commit hash checked out (null for a local folder outside git). */
  readonly commit: string | null;
  /** Give the checkout back (idempotent). */
  release(): void;
}

/** Where notebook runners get their repository from. */
export interface RepoSource {
  /** A checkout of `ref` of `url`: the current one, or a new clone after `invalidate`. */
  acquire(url: string, ref: string, signal: AbortSignal): Promise<RepoLease>;
  /** The repository changed: the next `acquire` of (url, ref) clones again. */
  invalidate(url: string, ref: string): void;
}

interface Checkout {
  dir: string;
  commit: string;
  refs: number;
}

interface KeyState {
  generation: number;
  current: { generation: number; promise: Promise<Checkout> } | null;
  /** Resolved checkouts that still exist on disk. */
  checkouts: Set<Checkout>;
}

/** Bound on one clone, whoever waits for it. */
const CLONE_LIMIT_MS = 10 * 60_000;

export type CloneFn = typeof shallowCheckout;

/** The process-wide repository cache. */
export class RepoCache implements RepoSource {
  private readonly keys = new Map<string, KeyState>();
  private counter = 0;

  constructor(
    private readonly root: string,
    private readonly clone: CloneFn = shallowCheckout,
  ) {
    mkdirSync(root, { recursive: true });
    sweepDeadOwners(root);
  }

  async acquire(url: string, ref: string, signal: AbortSignal): Promise<RepoLease> {
    const key = `${url}\u0000${ref}`;
    let state = this.keys.get(key);
    if (!state) {
      state = { generation: 0, current: null, checkouts: new Set() };
      this.keys.set(key, state);
    }
    const s = state;
    if (!s.current || s.current.generation !== s.generation) {
      const current = { generation: s.generation, promise: this.cloneInto(s, key, url, ref) };
      s.current = current;
      current.promise.then(
        () => this.collect(s),
        () => {
          if (s.current === current) s.current = null; // the next acquire tries again
        },
      );
    }
    const checkout = await abortable(s.current.promise, signal);
    checkout.refs++;
    let released = false;
    return {
      url,
      ref,
      dir: checkout.dir,
      commit: checkout.commit,
      release: () => {
        if (released) return;
        released = true;
        checkout.refs--;
        this.collect(s);
      },
    };
  }

  invalidate(url: string, ref: string): void {
    const state = this.keys.get(`${url}\u0000${ref}`);
    if (state) state.generation++;
  }

  /** Checkouts on disk now (for tests and diagnostics). */
  listCheckouts(): { url: string; ref: string; dir: string; commit: string; refs: number }[] {
    return [...this.keys.entries()].flatMap(([key, s]) => {
      const [url = "", ref = ""] = key.split("\u0000");
      return [...s.checkouts].map((c) => ({ url, ref, dir: c.dir, commit: c.commit, refs: c.refs }));
    });
  }

  private async cloneInto(state: KeyState, key: string, url: string, ref: string): Promise<Checkout> {
    const dir = join(this.root, createHash("sha256").update(key).digest("hex").slice(0, 16), `${process.pid}-${++this.counter}`);
    let commit: string;
    try {
      commit = await this.clone({ url, ref, dir, signal: AbortSignal.timeout(CLONE_LIMIT_MS) });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const same = [...state.checkouts].find((c) => c.commit === commit);
    if (same) {
      await rm(dir, { recursive: true, force: true }); // nothing changed: keep the one monkeys hold
      return same;
    }
    const checkout = { dir, commit, refs: 0 };
    state.checkouts.add(checkout);
    return checkout;
  }

  /** Delete checkouts that nobody holds and that are not the current one. */
  private collect(state: KeyState): void {
    void (state.current?.promise ?? Promise.resolve(null))
      .catch(() => null)
      .then((current) => {
        for (const c of state.checkouts) {
          if (c.refs > 0 || c === current) continue;
          state.checkouts.delete(c);
          void rm(c.dir, { recursive: true, force: true });
        }
      });
  }
}

/** Remove checkout folders whose owning process is gone (`<pid>-<n>` names). */
function sweepDeadOwners(root: string): void {
  for (const keyDir of readdirSync(root, { withFileTypes: true })) {
    if (!keyDir.isDirectory()) continue;
    for (const entry of readdirSync(join(root, keyDir.name))) {
      const pid = Number(entry.split("-")[0]);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(root, keyDir.name, entry), { recursive: true, force: true });
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}

/** A local folder used as it is (`troop run-notebooks ./dir`): never cloned, never deleted. */
export class LocalFolderSource implements RepoSource {
  constructor(
    private readonly dir: string,
    private readonly commit: () => Promise<string | null>,
  ) {}

  async acquire(url: string, ref: string): Promise<RepoLease> {
    return { url, ref, dir: this.dir, commit: await this.commit(), release: () => undefined };
  }

  invalidate(): void {}
}
