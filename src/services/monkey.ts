/**
 * A monkey: one bot user running one business. Owns the business instance (re-created on
 * resume), its log and its counters; reports every execution to the flock.
 * @module
 */
import type { Logger } from "pino";
import type { Business } from "../businesses/base.js";
import type { BusinessConfig } from "../businesses/registry.js";
import type { BusinessDefinition, NotebookResources } from "../businesses/types.js";
import type { HttpClient } from "../clients/http.js";
import type { DataServices } from "../config/data-services.js";
import type { BotUser, Platform } from "../clients/hub/types.js";
import type { Execution } from "../models/execution.js";
import type { MonkeyData } from "../models/status.js";
import { MonkeyLog } from "./monkey-log.js";
import type { SecretScrubber } from "./secrets.js";

/** What the flock gives each monkey. */
/** What every monkey of the process shares (built once by the composition root). */
export interface MonkeyRuntime {
  platform: Platform;
  http: HttpClient;
  logger: Logger;
  scrubber: SecretScrubber;
  logMaxBytes: number;
  /** Shared by the notebook runners (absent where no notebook business can run). */
  notebooks?: NotebookResources | undefined;
  /** TAP and SIA services of the deployment (absent where no data business can run). */
  dataServices?: DataServices | undefined;
}

export interface MonkeyDeps {
  flock: string | null;
  user: BotUser;
  business: BusinessConfig;
  definition: BusinessDefinition;
  runtime: MonkeyRuntime;
  counts?: { success: number; failure: number };
  onExecution(monkey: Monkey, record: Execution): void;
}

export class Monkey {
  readonly name: string;
  private business: Business | null = null;
  private paused = false;
  private stopped = false;
  private lastExecution: Execution | null = null;
  private counts: { success: number; failure: number };
  readonly log: MonkeyLog;

  constructor(private readonly deps: MonkeyDeps) {
    this.name = deps.user.username;
    this.counts = deps.counts ?? { success: 0, failure: 0 };
    this.log = new MonkeyLog({
      maxBytes: deps.runtime.logMaxBytes,
      level: String(deps.business.options["log_level"] ?? "INFO"),
      logger: deps.runtime.logger.child({ flock: deps.flock, monkey: this.name, business: deps.definition.type }),
      scrub: (t) => deps.runtime.scrubber.scrubOutput(t), // lines may carry outputs and tracebacks
    });
  }

  get successCount(): number {
    return this.business?.successCount ?? this.counts.success;
  }
  get failureCount(): number {
    return this.business?.failureCount ?? this.counts.failure;
  }

  /** Start the business loop (returns at once; the loop runs in the background). */
  start(maxIterations = Infinity): void {
    if (this.business) return;
    this.paused = false;
    const business = this.deps.definition.create({
      options: this.deps.business.options,
      restart: this.deps.business.restart,
      identity: { flock: this.deps.flock, monkey: this.name, business: this.deps.definition.type },
      user: this.deps.user,
      platform: this.deps.runtime.platform,
      http: this.deps.runtime.http,
      log: this.log,
      counts: this.counts,
      notebooks: this.deps.runtime.notebooks,
      dataServices: this.deps.runtime.dataServices,
      onExecution: (raw) => {
        const text = JSON.stringify(raw);
        const clean = this.deps.runtime.scrubber.scrubOutput(text);
        const record = clean === text ? raw : (JSON.parse(clean) as Execution);
        this.lastExecution = record;
        this.deps.onExecution(this, record);
      },
    });
    this.business = business;
    this.log.info(`starting ${this.deps.definition.type}`);
    business.run(maxIterations).catch((err: unknown) => this.log.error(`business loop ended unexpectedly: ${(err as Error).message}`));
  }

  /** Run exactly one iteration (solitary runs) and return its record. */
  async runOnce(): Promise<Execution | null> {
    this.start(1);
    await this.business!.run();
    return this.lastExecution;
  }

  /** Stop the business: its lab is deleted and its token revoked before this resolves. */
  async stop(): Promise<void> {
    const business = this.business;
    if (!business) return;
    await business.stop();
    this.counts = { success: business.successCount, failure: business.failureCount };
    this.business = null;
    this.stopped = true;
    this.log.info("stopped");
  }

  /** Ask the business to pick up new content at its next safe point; false if it cannot (or is not running). */
  refresh(): boolean {
    return this.business?.requestRefresh() ?? false;
  }

  /** Stop and remember that we are paused (labs released); `start` resumes. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.stop();
  }

  get state(): MonkeyData["state"] {
    if (this.paused && !this.business) return "paused";
    return this.business?.state ?? (this.stopped ? "stopped" : "starting");
  }

  data(): MonkeyData {
    const u = this.deps.user;
    return {
      name: this.name,
      state: this.state,
      user: { username: u.username, uidnumber: u.uidnumber, gidnumber: u.gidnumber, groups: u.groups, scopes: u.scopes },
      business: {
        name: this.deps.definition.type,
        success_count: this.successCount,
        failure_count: this.failureCount,
        refreshing: this.business?.refreshing ?? false,
        phase: this.business?.currentPhase ?? null,
        image: this.business?.image ?? this.lastExecution?.image ?? null,
      },
      last_execution: this.lastExecution,
    };
  }
}
