/**
 * The business base class: a template method that owns the loop (start-up once, then execute
 * + idle), success and failure counts, interruptible pauses, jitter, a time limit on every
 * phase, and stop. Subclasses implement only the hooks `startup`, `execute`, `recover`,
 * `shutdown` and `close`; all waiting goes through `pause` and all work through `phase`, so
 * nothing can hang and `stop()` is prompt even mid-spawn or mid-idle.
 * @module
 */
import { randomUUID } from "node:crypto";
import { CodeExecutionError, MonkeyError, PhaseTimeoutError, toMonkeyError, type MonkeyContext } from "../errors.js";
import type { Execution, ExecutionError, ImageInfo, PhaseRecord } from "../models/execution.js";
import { ControllerPool, Deadline, type Stoppable } from "./deadline.js";
import type { BaseOptions } from "./options.js";
import type { BusinessContext, BusinessState } from "./types.js";

const TRACEBACK_LIMIT = 16_000;
const CODE_LIMIT = 4_000;

/** Thrown into phases when the monkey is stopping; never counted as a failure. */
export class StoppedError extends Error {
  override readonly name = "StoppedError";
  constructor() {
    super("monkey stopping");
  }
}

export abstract class Business<O extends BaseOptions = BaseOptions> {
  readonly options: O;
  successCount: number;
  failureCount: number;
  state: BusinessState = "starting";
  currentPhase: string | null = null;
  /** Image of the current lab, when the business knows it. */
  image: ImageInfo | null = null;
  protected readonly ctx: BusinessContext<O>;
  /** Set once by `stop()`. */
  private stopRequested = false;
  /** Running phases (unless `ignoreStop`) and pauses: what `stop()` wakes. */
  private readonly wakers = new Set<Stoppable>();
  /** The phases' abort controllers, reused while nothing listens to them. */
  private readonly controllers = new ControllerPool();
  private started = false;
  private phases: PhaseRecord[] = [];
  private extras: Partial<Pick<Execution, "notebook" | "artifact" | "note" | "details">> = {};
  private errorExtras: Partial<Pick<ExecutionError, "notebook" | "cell_number" | "cell_id" | "output_tail">> = {};
  private skipped = false;
  private running: Promise<void> | null = null;

  constructor(ctx: BusinessContext<O>) {
    this.ctx = ctx;
    this.options = ctx.options;
    this.successCount = ctx.counts?.success ?? 0;
    this.failureCount = ctx.counts?.failure ?? 0;
  }

  /** Hook: once before the first iteration (and again after a `restart` recovery). */
  protected async startup(): Promise<void> {}
  /** Hook: one iteration. Throw to fail it. */
  protected abstract execute(): Promise<void>;
  /** Hook: after a failure when `restart: true` (e.g. delete the lab so the next one is fresh). */
  protected async recover(): Promise<void> {}
  /** Hook: when stopping, before `close` (e.g. delete the lab). Bounded by the caller. */
  protected async shutdown(): Promise<void> {}
  /** Hook: release everything (e.g. revoke tokens). */
  protected async close(): Promise<void> {}

  /**
   * Hook: the pause after an iteration — `idle_time` (+ jitter) after a success, `error_idle_time`
   * after a failure. Notebook runners pause `notebook_idle_time` between notebooks instead.
   */
  protected idleAfter(ok: boolean): { ms: number; phase: string } {
    return ok ? { ms: this.options.idle_time + this.random() * this.options.jitter, phase: "idle" } : { ms: this.options.error_idle_time, phase: "error_idle" };
  }

  /**
   * Ask the business to pick up new content (a new commit of its repository) at its next safe
   * point. Returns false when the business has nothing to refresh.
   */
  requestRefresh(): boolean {
    return false;
  }

  /** True while a requested refresh has not happened yet. */
  get refreshing(): boolean {
    return false;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Run until stopped (or, with `maxIterations`, until that many iterations ran). */
  run(maxIterations = Infinity): Promise<void> {
    this.running ??= this.loop(maxIterations);
    return this.running;
  }

  /** Ask the loop to stop and wait until shutdown and close are done. */
  async stop(): Promise<void> {
    if (!this.stopRequested) {
      this.stopRequested = true;
      // wake every running phase (it throws StoppedError) and pause (it resolves false)
      for (const w of [...this.wakers]) w.stop();
    }
    await this.running;
  }

  private async loop(maxIterations: number): Promise<void> {
    try {
      await this.pause(this.random() * this.options.jitter, "pre_login_delay");
      for (let i = 0; i < maxIterations && !this.stopping; i++) {
        const ok = await this.iteration();
        if (this.stopping || i + 1 >= maxIterations) break;
        if (ok) {
          this.state = "idle";
          const idle = this.idleAfter(true);
          await this.pause(idle.ms, idle.phase);
        } else {
          this.state = "error";
          if (this.ctx.restart) await this.tryRecover();
          const idle = this.idleAfter(false);
          await this.pause(idle.ms, idle.phase);
        }
      }
    } finally {
      this.state = "stopping";
      await this.cleanup("shutdown", () => this.shutdown());
      await this.cleanup("close", () => this.close());
      this.currentPhase = null;
      this.state = "stopped";
    }
  }

  /** One iteration with its record. Returns true on success. */
  private async iteration(): Promise<boolean> {
    const startedAt = new Date();
    this.phases = [];
    this.extras = {};
    this.errorExtras = {};
    this.skipped = false;
    this.state = "running";
    let error: MonkeyError | null = null;
    try {
      if (!this.started) {
        await this.startup();
        this.started = true;
      }
      await this.execute();
    } catch (err) {
      if (this.stopping) return true; // interrupted by stop: not a result
      error = toMonkeyError(err, this.currentPhase ?? "execute", this.context());
    } finally {
      this.currentPhase = null;
    }
    if (error) this.failureCount++;
    else if (!this.skipped) this.successCount++;
    this.emit(startedAt, error);
    return error === null;
  }

  private async tryRecover(): Promise<void> {
    this.started = false;
    try {
      await this.recover();
    } catch (err) {
      this.ctx.log.warn(`recovery after failure did not complete: ${(err as Error).message}`);
    }
  }

  private async cleanup(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.ctx.log.warn(`${what} did not complete: ${(err as Error).message}`);
    }
  }

  /**
   * Run `fn` as phase `name` with a time limit. `fn` gets a signal that aborts on timeout or
   * stop; even if `fn` ignores it, the phase returns at once (the late result is dropped).
   * During shutdown (`ignoreStop`), the stop signal does not abort the phase. The signal is
   * valid until `fn`'s promise settles: a signal left without listeners and never aborted is
   * handed to the next phase ({@link ControllerPool}).
   */
  protected async phase<T>(name: string, limitMs: number, fn: (signal: AbortSignal) => Promise<T>, opts: { ignoreStop?: boolean } = {}): Promise<T> {
    const stoppable = !opts.ignoreStop;
    if (stoppable && this.stopRequested) throw new StoppedError();
    const previous = this.currentPhase;
    this.currentPhase = name;
    const start = Date.now();
    // One timer and no listener (docs/performance-notes.md §7): the deadline aborts the signal
    // and rejects at once on timeout or stop; the timeout error is built only when the timer
    // fires (an Error captures a stack trace: building one per phase was ~7 % of the CPU).
    const controller = this.controllers.take();
    const deadline = new Deadline(controller, limitMs, () => new PhaseTimeoutError(name, limitMs, this.context()), fn, newStoppedError);
    if (stoppable) this.wakers.add(deadline);
    let ok = false;
    try {
      const result = await deadline.promise;
      ok = true;
      return result;
    } catch (err) {
      if (deadline.timedOut) throw deadline.reason;
      if (stoppable && this.stopRequested) throw new StoppedError();
      throw toMonkeyError(err, name, this.context());
    } finally {
      if (stoppable) this.wakers.delete(deadline);
      this.controllers.give(controller);
      this.phases.push({ name, started_at: new Date(start).toISOString(), duration_ms: Date.now() - start, ok });
      this.currentPhase = previous;
    }
  }

  /** Add business-specific fields to the current iteration's record (merged at its end). */
  protected annotate(fields: Partial<Pick<Execution, "notebook" | "artifact" | "note" | "details">>): void {
    this.extras = { ...this.extras, ...fields };
  }

  /** Add notebook/cell context to the current iteration's error, if it fails. */
  protected annotateError(fields: Partial<Pick<ExecutionError, "notebook" | "cell_number" | "cell_id" | "output_tail">>): void {
    this.errorExtras = { ...this.errorExtras, ...fields };
  }

  /** Record the current iteration as skipped (neither success nor failure), with the reason. */
  protected markSkipped(note: string): void {
    this.skipped = true;
    this.extras = { ...this.extras, note };
  }

  /** Interruptible sleep. Resolves false if the monkey is stopping. */
  protected pause(ms: number, phaseName?: string): Promise<boolean> {
    if (this.stopRequested) return Promise.resolve(false);
    // even a zero pause yields to the event loop, so a loop with no idle cannot starve it
    if (ms <= 0) return new Promise((resolve) => setImmediate(() => resolve(!this.stopRequested)));
    const previous = this.currentPhase;
    if (phaseName) this.currentPhase = phaseName;
    return new Promise((resolve) => {
      // one object, one timer, woken by stop() through `wakers` (no listener on a signal)
      const pause: Stoppable & { handle: ReturnType<typeof setTimeout> | null } = {
        handle: null,
        stop: () => {
          if (!pause.handle) return;
          clearTimeout(pause.handle);
          pause.handle = null;
          this.wakers.delete(pause);
          if (phaseName) this.currentPhase = previous;
          resolve(!this.stopRequested);
        },
      };
      pause.handle = setTimeout(wake, ms, pause);
      this.wakers.add(pause);
    });
  }

  protected random(): number {
    return (this.ctx.random ?? Math.random)();
  }

  protected context(): MonkeyContext {
    return { flock: this.ctx.identity.flock ?? undefined, monkey: this.ctx.identity.monkey, business: this.ctx.identity.business };
  }

  private emit(startedAt: Date, error: MonkeyError | null): void {
    const ended = new Date();
    const record: Execution = {
      id: executionId(startedAt),
      flock: this.ctx.identity.flock,
      monkey: this.ctx.identity.monkey,
      business: this.ctx.identity.business,
      started_at: startedAt.toISOString(),
      ended_at: ended.toISOString(),
      duration_ms: ended.getTime() - startedAt.getTime(),
      result: error ? "failure" : this.skipped ? "skipped" : "success",
      phases: this.phases,
      error: error ? { ...describeError(error), ...this.errorExtras } : null,
      image: this.image,
      notebook: null,
      artifact: null,
      note: null,
      details: {},
      ...this.extras,
    };
    this.phases = []; // the record owns its list: phases run after it (a stop's cleanup) are not added to it
    if (error) this.ctx.log.error(`failed in ${error.phase}: ${error.message}${record.error?.traceback ? `\n${record.error.traceback}` : ""}`);
    else this.ctx.log.info(`iteration ${record.result === "skipped" ? `skipped (${record.note})` : "succeeded"} in ${record.duration_ms} ms`);
    this.ctx.onExecution(record);
  }
}

function describeError(err: MonkeyError): ExecutionError {
  const isCode = err instanceof CodeExecutionError;
  return {
    phase: err.phase,
    failure_class: err.failureClass,
    message: err.message.slice(0, 2000),
    code: err.code?.slice(0, CODE_LIMIT) ?? null,
    exception: isCode ? err.ename : null,
    traceback: isCode ? err.traceback.slice(-TRACEBACK_LIMIT) : null,
    notebook: null,
    cell_number: null,
    cell_id: null,
    output_tail: null,
  };
}

/** A time-ordered unique id: start time in ms (hex, fixed width) + random part. */
export function executionId(startedAt: Date): string {
  return `${startedAt.getTime().toString(16).padStart(12, "0")}-${randomUUID().slice(0, 18)}`;
}

/** A pause's timer fired: resolve it as not stopped. */
function wake(pause: Stoppable): void {
  pause.stop();
}

function newStoppedError(): StoppedError {
  return new StoppedError();
}

/** Resolve/reject with `promise`, or reject as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}
