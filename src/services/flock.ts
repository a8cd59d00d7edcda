/**
 * A flock: the monkeys of one flock config. Starts them in batches in the background (the API
 * answers at once), stops, pauses and resumes them, and changes their number.
 * @module
 */
import type { BusinessConfig } from "../businesses/registry.js";
import type { BusinessDefinition } from "../businesses/types.js";
import type { Execution } from "../models/execution.js";
import { flockUsers, type FlockConfig } from "../models/flock.js";
import type { FlockData, FlockSummary } from "../models/status.js";
import type { Counts } from "../store/types.js";
import { Monkey, type MonkeyRuntime } from "./monkey.js";

export interface FlockDeps {
  config: FlockConfig;
  /** The config as submitted (shown in the API and stored). */
  rawConfig: Record<string, unknown>;
  source: "api" | "autostart";
  startTime: string;
  paused: boolean;
  definition: BusinessDefinition;
  runtime: MonkeyRuntime;
  counts: Map<string, Counts>;
  onExecution(flock: Flock, monkey: Monkey, record: Execution): void;
}

export class Flock {
  readonly name: string;
  private monkeys: Monkey[] = [];
  private paused: boolean;
  private config: FlockConfig;
  private rawConfig: Record<string, unknown>;
  private starting: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Aborted by stop/pause so a wait between start batches ends at once. */
  private wake = new AbortController();
  /** Monkeys removed by a lower `count` (not started if their batch comes later). */
  private readonly removed = new WeakSet<Monkey>();

  constructor(private readonly deps: FlockDeps) {
    this.name = deps.config.name;
    this.paused = deps.paused;
    this.config = deps.config;
    this.rawConfig = deps.rawConfig;
    this.monkeys = flockUsers(deps.config).map((u) => this.makeMonkey(u));
    if (this.paused) for (const m of this.monkeys) void m.pause();
  }

  get isPaused(): boolean {
    return this.paused;
  }
  get usernames(): string[] {
    return this.monkeys.map((m) => m.name);
  }
  get definition(): BusinessDefinition {
    return this.deps.definition;
  }
  get storedConfig(): Record<string, unknown> {
    return this.rawConfig;
  }

  private makeMonkey(user: ReturnType<typeof flockUsers>[number]): Monkey {
    return new Monkey({
      flock: this.name,
      user,
      business: this.config.business as BusinessConfig,
      definition: this.deps.definition,
      runtime: this.deps.runtime,
      counts: this.deps.counts.get(user.username),
      onExecution: (monkey, record) => this.deps.onExecution(this, monkey, record),
    });
  }

  /** Start (unless paused) in batches; returns at once. */
  start(): void {
    if (this.paused) return;
    this.wake = new AbortController();
    this.starting = this.startInBatches(this.monkeys);
  }

  private async startInBatches(monkeys: Monkey[]): Promise<void> {
    const size = this.config.start_batch_size ?? monkeys.length;
    const wait = this.config.start_batch_wait ?? 0;
    for (let i = 0; i < monkeys.length; i += size) {
      if (this.stopped || this.paused) return;
      if (i > 0) await sleep(wait, this.wake.signal);
      if (this.stopped || this.paused) return;
      for (const m of monkeys.slice(i, i + size)) if (!this.removed.has(m)) m.start();
    }
  }

  /** Stop every monkey (labs deleted, tokens revoked). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    await this.starting;
    await Promise.all(this.monkeys.map((m) => m.stop()));
  }

  async pause(): Promise<void> {
    this.paused = true;
    this.wake.abort();
    await this.starting;
    await Promise.all(this.monkeys.map((m) => m.pause()));
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.start();
  }

  /** Change the number of monkeys (user_spec flocks only; checked by the manager). */
  async setCount(count: number, rawConfig: Record<string, unknown>, config: FlockConfig): Promise<void> {
    this.config = config;
    this.rawConfig = rawConfig;
    if (count < this.monkeys.length) {
      const removed = this.monkeys.splice(count);
      for (const m of removed) this.removed.add(m);
      await Promise.all(removed.map((m) => m.stop()));
      return;
    }
    const users = flockUsers(config).slice(this.monkeys.length);
    const added = users.map((u) => this.makeMonkey(u));
    this.monkeys.push(...added);
    if (!this.paused && !this.stopped) this.starting = this.starting.then(() => this.startInBatches(added));
  }

  /**
   * Ask every running monkey to pick up new repository content at its next safe point; paused
   * monkeys get it when they resume (they start from a fresh checkout). Returns the number of
   * running monkeys that will refresh, or -1 when the business has nothing to refresh.
   */
  refresh(): number {
    const { repo_url: url, repo_ref: ref } = this.config.business.options as { repo_url?: unknown; repo_ref?: unknown };
    if (typeof url !== "string" || typeof ref !== "string") return -1;
    this.deps.runtime.notebooks?.repos.invalidate(url, ref);
    return this.monkeys.filter((m) => m.refresh()).length;
  }

  monkey(name: string): Monkey | undefined {
    return this.monkeys.find((m) => m.name === name);
  }

  listMonkeys(): Monkey[] {
    return [...this.monkeys];
  }

  summary(): FlockSummary {
    let success = 0;
    let failure = 0;
    for (const m of this.monkeys) {
      success += m.successCount;
      failure += m.failureCount;
    }
    return {
      name: this.name,
      business: this.deps.definition.type,
      start_time: this.deps.startTime,
      monkey_count: this.monkeys.length,
      success_count: success,
      failure_count: failure,
      paused: this.paused,
    };
  }

  data(): FlockData {
    return { name: this.name, config: this.rawConfig, paused: this.paused, source: this.deps.source, monkeys: this.monkeys.map((m) => m.data()) };
  }
}

/** Wait `ms` or until `signal` aborts; the abort listener is removed either way (no build-up across batches). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => (clearTimeout(handle), resolve());
    const handle = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve()), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
