/**
 * The worker of the check queue: at most `concurrency` checks at once, each with a CI bot user
 * of its own (the pool is `github.users`), taken oldest first from the database. At start,
 * checks a stopped process left in progress are queued again; at close, running checks are
 * stopped (labs deleted) and stay in progress in the database to run again after the restart.
 * @module
 */
import type { Logger } from "pino";
import type { BotUser } from "../../clients/hub/types.js";
import type { CheckJob } from "../../models/github.js";
import type { SqliteCheckStore } from "../../store/github-checks.js";
import { CheckStopped, type CheckRunner } from "./check-runner.js";

export interface CheckQueueDeps {
  store: SqliteCheckStore;
  runner: Pick<CheckRunner, "run">;
  users: readonly BotUser[];
  concurrency: number;
  logger: Logger;
}

export class CheckQueue {
  private readonly free: BotUser[];
  private readonly running = new Map<number, { stop: AbortController; done: Promise<void> }>();
  private chain: Promise<void> = Promise.resolve();
  private started = false;
  private closed = false;

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

  /** Stop running checks (they stay in progress) within `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    await this.chain;
    for (const r of this.running.values()) r.stop.abort();
    const all = Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async fill(): Promise<void> {
    while (!this.closed && this.running.size < this.deps.concurrency && this.free.length > 0) {
      const job = await this.deps.store.claimNext();
      if (!job) return;
      const user = this.free.shift()!;
      const stop = new AbortController();
      const done = this.runOne(job, user, stop.signal).finally(() => {
        this.running.delete(job.id);
        this.free.push(user);
        this.kick();
      });
      this.running.set(job.id, { stop, done });
    }
  }

  private async runOne(job: CheckJob, user: BotUser, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.runner.run(job, user, signal);
    } catch (err) {
      if (err instanceof CheckStopped) this.deps.logger.info({ check: job.id }, "check stopped; it runs again at the next start");
      else this.deps.logger.error({ check: job.id, err: (err as Error).message }, "check failed unexpectedly");
    }
  }
}
