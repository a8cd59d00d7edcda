/**
 * The phase's abort path (src/businesses/deadline.ts): a deadline settles with its work, or
 * rejects at once on timeout or abort (aborting the work's signal first, its listeners before
 * the rejection), builds the timeout error only when the timer fires, drops a late result, and
 * leaves no timer behind; a controller is reused only when never aborted and left without
 * listeners.
 */
import { describe, expect, it, vi } from "vitest";
import { ControllerPool, Deadline } from "../../src/businesses/deadline.js";

const never = () => new Promise<never>(() => undefined);

describe("Deadline", () => {
  it("settles with the work and clears its timer", async () => {
    vi.useFakeTimers();
    try {
      const onTimeout = vi.fn(() => new Error("late"));
      const d = new Deadline(new AbortController(), 1000, onTimeout, async () => 42);
      await expect(d.promise).resolves.toBe(42);
      expect(vi.getTimerCount()).toBe(0);
      expect(onTimeout).not.toHaveBeenCalled();
      expect(d.timedOut).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("passes the work's rejection through", async () => {
    const boom = new Error("boom");
    const d = new Deadline(new AbortController(), 1000, () => new Error("late"), () => Promise.reject(boom));
    await expect(d.promise).rejects.toBe(boom);
  });

  it("turns a synchronous throw of the work into a rejection", async () => {
    const boom = new Error("sync");
    const d = new Deadline(
      new AbortController(),
      1000,
      () => new Error("late"),
      () => {
        throw boom;
      },
    );
    await expect(d.promise).rejects.toBe(boom);
  });

  it("on timeout, aborts the signal with the error built then, and rejects even if the work ignores it", async () => {
    vi.useFakeTimers();
    try {
      const onTimeout = vi.fn(() => new Error("timed out"));
      const controller = new AbortController();
      const d = new Deadline(controller, 500, onTimeout, never);
      const seen = expect(d.promise).rejects.toThrow("timed out");
      await vi.advanceTimersByTimeAsync(499);
      expect(onTimeout).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      await seen;
      expect(onTimeout).toHaveBeenCalledTimes(1);
      expect(d.timedOut).toBe(true);
      expect(controller.signal.aborted).toBe(true);
      expect(controller.signal.reason).toBe(d.reason);
    } finally {
      vi.useRealTimers();
    }
  });

  it("runs the signal's listeners before rejecting", async () => {
    const order: string[] = [];
    const d = new Deadline(new AbortController(), 1000, () => new Error("late"), (signal) => {
      signal.addEventListener("abort", () => order.push("listener"));
      return never();
    });
    d.promise.catch(() => order.push("rejected"));
    d.abort(new Error("stop"));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["listener", "rejected"]);
  });

  it("stop() aborts with the stop reason and clears the timer; later aborts and a late result change nothing", async () => {
    vi.useFakeTimers();
    try {
      let finish!: (v: string) => void;
      const stopped = new Error("stopping");
      const d = new Deadline(new AbortController(), 1000, () => new Error("late"), () => new Promise<string>((r) => (finish = r)), () => stopped);
      d.stop();
      expect(vi.getTimerCount()).toBe(0);
      d.abort(new Error("second"));
      finish("too late");
      await expect(d.promise).rejects.toBe(stopped);
      expect(d.reason).toBe(stopped);
      expect(d.timedOut).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("ControllerPool", () => {
  it("reuses a controller that was not aborted and has no listener left", () => {
    const pool = new ControllerPool();
    const a = pool.take();
    const listener = () => undefined;
    a.signal.addEventListener("abort", listener);
    a.signal.removeEventListener("abort", listener);
    pool.give(a);
    expect(pool.take()).toBe(a);
    expect(pool.take()).not.toBe(a); // handed out once
  });

  it("does not reuse an aborted controller, nor one someone still listens to", () => {
    const pool = new ControllerPool();
    const aborted = pool.take();
    aborted.abort(new Error("timeout"));
    pool.give(aborted);
    expect(pool.take()).not.toBe(aborted);

    const listened = pool.take();
    listened.signal.addEventListener("abort", () => undefined);
    pool.give(listened);
    const next = pool.take();
    expect(next).not.toBe(listened);
    expect(next.signal.aborted).toBe(false);
  });
});
