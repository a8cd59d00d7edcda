/**
 * The worker of the check queue: at most `concurrency` checks at once, each with a CI bot user
 * of its own (the pool is `github.users`), taken oldest first from the database. At start,
 * checks a stopped process left in progress are queued again; at close, running checks are
 * stopped (labs deleted) and stay in progress in the database to run again after the restart.
 * A check that fails inside Troop (an error other than a stop: storage, GitHub, a bug) is queued
 * again at once, due after a back-off (`retryDelay`, doubled at each attempt); after
 * `maxAttempts` it is completed as failed internally, in the database and on GitHub. A completed
 * check whose report to GitHub failed has it delivered again when due (from the database, so
 * also after a restart): a delivery runs no notebook, so it takes neither a CI bot user nor a
 * concurrency slot, but one check never has two deliveries at once. Nothing thrown by a check
 * leaves the queue.
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { BotUser } from "../../clients/hub/types.js";
import type { CheckJob } from "../../models/github.js";
import type { SqliteCheckStore } from "../../store/github-checks.js";
import { CheckStopped, type CheckRunner } from "./check-runner.js";

export interface CheckQueueDeps {
  store: SqliteCheckStore;
  runner: Pick<CheckRunner, "run" | "giveUp" | "deliverReport">;
  users: readonly BotUser[];
  concurrency: number;
  /** Starts of one check (`github.maxAttempts`). */
  maxAttempts: number;
  /** Back-off before the second attempt of a check that failed inside Troop; doubled each time. */
  retryDelayMs: number;
  logger: Logger;
}

export class CheckQueue {
  private readonly free: BotUser[];
  private readonly running = new Map<number, { stop: AbortController; done: Promise<void> }>();
  /** Deliveries of pending reports, by check id. */
  private readonly delivering = new Map<number, { stop: AbortController; done: Promise<void> }>();
  private chain: Promise<void> = Promise.resolve();
  private started = false;
  private closed = false;
  /** Wakes the queue when the next retry or pending report is due. */
  private wake: { at: number; timer: NodeJS.Timeout } | null = null;

  constructor(private readonly deps: CheckQueueDeps) {
    this.free = [...deps.users];
  }

  /** Queue again what a stopped process left in progress, then start taking checks. */
  async start(): Promise<void> {
    const again = await this.deps.store.requeueInProgress();
    if (again > 0) this.deps.logger.info({ checks: again }, "checks left in progress are queued again");
    this.started = true;
    this.kick();
  }

  /** Look for work (after a check was queued or finished). */
  kick(): void {
    if (!this.started || this.closed) return;
    this.chain = this.chain.then(() => this.fill()).catch((err: unknown) => this.deps.logger.error({ err: (err as Error).message }, "check queue failed"));
  }

  /** Checks running now. */
  get active(): number {
    return this.running.size;
  }

  /** Stop running checks (they stay in progress) and deliveries (their reports stay pending) within `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.wake) clearTimeout(this.wake.timer);
    await this.chain;
    const all = [...this.running.values(), ...this.delivering.values()];
    for (const r of all) r.stop.abort();
    const done = Promise.allSettled(all.map((r) => r.done));
    await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async fill(): Promise<void> {
    let drained = false;
    while (!this.closed && this.running.size < this.deps.concurrency && this.free.length > 0) {
      const job = await this.deps.store.claimNext();
      if (!job) {
        drained = true;
        break;
      }
      const user = this.free.shift()!;
      const stop = new AbortController();
      const done = this.runOne(job, user, stop.signal).finally(() => {
        this.running.delete(job.id);
        this.free.push(user);
        this.kick();
      });
      this.running.set(job.id, { stop, done });
    }
    await this.deliverDue();
    await this.wakeWhenDue(drained);
  }

  /** Start the delivery of every pending report that is due and not being delivered. */
  private async deliverDue(): Promise<void> {
    if (this.closed) return;
    for (const job of await this.deps.store.dueReports([...this.delivering.keys()])) {
      const stop = new AbortController();
      const done = this.deps.runner
        .deliverReport(job, stop.signal)
        .catch(async (err: unknown) => {
          this.deps.logger.error({ check: job.id, err: (err as Error).message }, "could not handle the pending report of a check; it stays pending");
          await sleep(Math.max(1000, this.deps.retryDelayMs), undefined, { signal: stop.signal, ref: false }).catch(() => undefined); // not again at once (a broken database)
        })
        .finally(() => {
          this.delivering.delete(job.id);
          this.kick();
        });
      this.delivering.set(job.id, { stop, done });
    }
  }

  private async runOne(job: CheckJob, user: BotUser, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.runner.run(job, user, signal);
    } catch (err) {
      if (err instanceof CheckStopped) this.deps.logger.info({ check: job.id }, "check stopped; it runs again at the next start");
      else await this.failed(job, err).catch((e: unknown) => this.deps.logger.error({ check: job.id, err: (e as Error).message }, "could not handle a failed check; it runs again at the next start"));
    }
  }

  /** A check failed inside Troop: queue it again after a back-off, or complete it when its attempts are spent. */
  private async failed(job: CheckJob, err: unknown): Promise<void> {
    const message = (err as Error)?.message ?? String(err);
    if (this.closed) {
      this.deps.logger.warn({ check: job.id, err: message }, "check failed unexpectedly while Troop stops; it runs again at the next start");
    } else if (job.attempts < this.deps.maxAttempts) {
      const delayMs = this.deps.retryDelayMs * 2 ** Math.max(0, job.attempts - 1);
      this.deps.logger.warn({ check: job.id, attempt: job.attempts, maxAttempts: this.deps.maxAttempts, retryInMs: delayMs, err: message }, "check failed unexpectedly; queued again");
      await this.deps.store.requeue(job.id, new Date(Date.now() + delayMs));
    } else {
      this.deps.logger.error({ check: job.id, attempts: job.attempts, err: message }, "check failed unexpectedly at every attempt; completing it");
      await this.deps.runner.giveUp(job, message);
    }
  }

  /**
   * Look again when the next pending report not being delivered is due, or the next retry when
   * the queue is `drained` of due checks (else a finishing check wakes it): one timer, the earliest.
   */
  private async wakeWhenDue(drained: boolean): Promise<void> {
    const times = [await this.deps.store.nextReportAt([...this.delivering.keys()]), drained ? await this.deps.store.nextRetryAt() : null].filter((t): t is Date => t !== null);
    if (times.length === 0 || this.closed) return;
    const at = new Date(Math.min(...times.map((t) => t.getTime())));
    if (this.wake && this.wake.at <= at.getTime()) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(() => {
      this.wake = null;
      this.kick();
    }, Math.max(0, at.getTime() - Date.now()) + 5);
    timer.unref();
    this.wake = { at: at.getTime(), timer };
  }
}
