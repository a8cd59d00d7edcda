/**
 * The bounded queue between the monkeys and Slack. `push` is synchronous and O(1): a monkey
 * never waits for Slack. One worker sends messages in order, each with a time limit, retrying
 * network errors, 429 and 5xx with exponential backoff (a 429's Retry-After wins). A message
 * is dropped — counted and reported through `onDropped` — when the queue is full, when it
 * failed `maxAttempts` times, when Slack refused it (other 4xx), when its flock was paused
 * before it could go out, or when the service stops.
 * @module
 */
import type { SlackMessage } from "../../clients/slack.js";

/** Why a message was not delivered. */
export type DropReason = "queue_full" | "failed" | "rejected" | "paused" | "shutdown";

/** A message waiting to go out. */
export interface QueuedMessage {
  kind: "failure" | "repeat" | "recovery" | "report";
  /** Flock it is about (null: the daily report). */
  flock: string | null;
  message: SlackMessage;
}

export interface AlertQueueDeps {
  /** Deliver one message; throws `{ retryable, retryAfterMs }`-shaped errors (SlackPostError). */
  send(message: SlackMessage, signal: AbortSignal): Promise<void>;
  capacity: number;
  maxAttempts: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** Longest wait between attempts. */
  maxDelayMs?: number;
  /** Still worth sending (checked before each attempt)? False drops it as "paused". */
  wanted(m: QueuedMessage): boolean;
  onSent(m: QueuedMessage): void;
  onDropped(m: QueuedMessage, reason: DropReason, detail: string): void;
}

export class AlertQueue {
  private readonly queue: QueuedMessage[] = [];
  private worker: Promise<void> | null = null;
  private closed = false;
  private readonly stopper = new AbortController();

  constructor(private readonly deps: AlertQueueDeps) {}

  /** Messages waiting, the one being sent included. */
  get depth(): number {
    return this.queue.length;
  }

  /** Queue a message; false when it was dropped (queue full or closed). Never blocks. */
  push(m: QueuedMessage): boolean {
    if (this.closed) {
      this.deps.onDropped(m, "shutdown", "service stopping");
      return false;
    }
    if (this.queue.length >= this.deps.capacity) {
      this.deps.onDropped(m, "queue_full", `queue holds ${this.deps.capacity} messages`);
      return false;
    }
    this.queue.push(m);
    this.worker ??= this.drain().finally(() => (this.worker = null));
    return true;
  }

  /** Resolves when the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /** Stop: give pending messages up to `graceMs`, then abort and drop the rest. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    if (this.worker) {
      const timer = setTimeout(() => this.stopper.abort(), graceMs);
      await this.worker;
      clearTimeout(timer);
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const m = this.queue[0]!;
      await this.deliver(m);
      this.queue.shift();
      if (this.stopper.signal.aborted) {
        for (const rest of this.queue.splice(0)) this.deps.onDropped(rest, "shutdown", "service stopping");
      }
    }
  }

  private async deliver(m: QueuedMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopper.signal.aborted) return this.deps.onDropped(m, "shutdown", "service stopping");
      if (!this.deps.wanted(m)) return this.deps.onDropped(m, "paused", `flock ${m.flock} is paused`);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
      const onStop = () => controller.abort();
      this.stopper.signal.addEventListener("abort", onStop, { once: true });
      try {
        await this.deps.send(m.message, controller.signal);
        return this.deps.onSent(m);
      } catch (err) {
        const e = err as { message?: string; retryable?: boolean; retryAfterMs?: number | null };
        const detail = `${e.message ?? String(err)} (attempt ${attempt}/${this.deps.maxAttempts})`;
        if (e.retryable === false) return this.deps.onDropped(m, "rejected", detail);
        if (attempt >= this.deps.maxAttempts) return this.deps.onDropped(m, "failed", detail);
        const backoff = Math.min(this.deps.retryDelayMs * 2 ** (attempt - 1), this.deps.maxDelayMs ?? 60_000);
        await this.sleep(Math.min(e.retryAfterMs ?? backoff, this.deps.maxDelayMs ?? 60_000));
      } finally {
        clearTimeout(timer);
        this.stopper.signal.removeEventListener("abort", onStop);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopper.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => (clearTimeout(timer), signal.removeEventListener("abort", done), resolve());
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
