/**
 * The abort path of a phase, made cheap enough to run ten thousand times a second: one timer,
 * no listener on any signal, and an `AbortController` reused from one phase to the next while
 * nothing can still observe it. At 10,000 busy monkeys an `AbortController` per phase (Node's
 * `AbortSignal` is a transferable C++-backed object), an `abort` listener on the monkey's stop
 * signal per phase and per pause, and `raceAbort`'s listener on the phase's signal were ~7 % of
 * the CPU, plus their share of GC (docs/performance-notes.md §7).
 * @module
 */
import { getEventListeners } from "node:events";

/** Something `stop()` must wake at once: a running phase or a pause. */
export interface Stoppable {
  stop(): void;
}

/**
 * Hands out `AbortController`s for work run one after the other, and takes back one that was
 * never aborted and has no `abort` listener left, so the next phase reuses it instead of
 * allocating. A controller someone still listens to (e.g. undici's `fetch`, whose listener
 * stays until its request is garbage-collected) is not reused: a later abort cannot reach work
 * that is not the current one.
 */
export class ControllerPool {
  private spare: AbortController | null = null;

  take(): AbortController {
    const c = this.spare;
    if (c) {
      this.spare = null;
      return c;
    }
    return new AbortController();
  }

  /** Give back a controller whose work has settled. */
  give(controller: AbortController): void {
    if (controller.signal.aborted || getEventListeners(controller.signal, "abort").length > 0) return;
    this.spare = controller;
  }
}

function fire(deadline: Deadline<unknown>): void {
  deadline.expire();
}

/**
 * `work(signal)` raced against a time limit and an external abort. The promise settles with the
 * work, or rejects as soon as the limit passes (with `onTimeout()`, built only then: an Error
 * captures a stack trace) or {@link abort} is called; either also aborts the signal given to the
 * work (its listeners run first, as with a listener-based race), and a late result of the work
 * is dropped. One timer; nothing is registered on the signal.
 */
export class Deadline<T> implements Stoppable {
  readonly promise: Promise<T>;
  /** Why the deadline ended early: the timeout error or the abort reason; undefined while running or after the work settled. */
  reason: unknown = undefined;
  timedOut = false;
  private settled = false;
  private resolveFn!: (value: T) => void;
  private rejectFn!: (reason: unknown) => void;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly controller: AbortController,
    limitMs: number,
    private readonly onTimeout: () => unknown,
    work: (signal: AbortSignal) => Promise<T>,
    private readonly onStop: () => unknown = () => new Error("aborted"),
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    this.timer = setTimeout(fire, limitMs, this as Deadline<unknown>);
    let started: Promise<T>;
    try {
      started = work(controller.signal);
    } catch (err) {
      started = Promise.reject(err);
    }
    started.then(
      (v) => this.settle(v),
      (e) => this.fail(e),
    );
  }

  /** The limit passed: abort with the timeout error. */
  expire(): void {
    if (this.settled) return;
    this.timedOut = true;
    this.abort(this.onTimeout());
  }

  /** Abort the work now with `reason`. No effect once settled. */
  abort(reason: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reason = reason;
    clearTimeout(this.timer);
    this.controller.abort(reason);
    this.rejectFn(reason);
  }

  /** {@link Stoppable}: abort with the stop reason. */
  stop(): void {
    this.abort(this.onStop());
  }

  private settle(value: T): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolveFn(value);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.rejectFn(err);
  }
}
