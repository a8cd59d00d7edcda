/**
 * The flock manager: the set of running flocks. Creates, replaces, deletes, pauses, resumes
 * and resizes flocks; persists them so API-created flocks, pause state and counters survive a
 * restart; cleans up leftover labs at start-up; stops everything at shutdown.
 * @module
 */
import type { Logger } from "pino";
import { lookupBusiness } from "../businesses/registry.js";
import type { NotebookResources } from "../businesses/types.js";
import type { HttpClient } from "../clients/http.js";
import type { Platform } from "../clients/hub/types.js";
import { dataServicesFromConfig, type DataServices } from "../config/data-services.js";
import { formatPath, issuesToLocations } from "../config/issues.js";
import type { ServiceConfig } from "../config/schema.js";
import { ApiError, flockNotFound } from "../errors.js";
import type { Execution } from "../models/execution.js";
import { flockConfigSchema, flockUsers, type FlockConfig } from "../models/flock.js";
import type { FlockSummary } from "../models/status.js";
import type { FlockStore } from "../store/types.js";
import { Flock } from "./flock.js";
import type { Monkey, MonkeyRuntime } from "./monkey.js";
import type { SecretScrubber } from "./secrets.js";

export interface FlockManagerDeps {
  config: Readonly<ServiceConfig>;
  store: FlockStore;
  platform: Platform;
  http: HttpClient;
  logger: Logger;
  scrubber: SecretScrubber;
  /** Hook for every execution of every monkey (history, metrics, alerts). */
  onExecution?: (record: Execution) => void;
  /** Repository cache, artifact store and available applications of the notebook runners. */
  notebooks?: NotebookResources;
  /** Where the TAP and SIA services are (default: from the config alone, without discovery). */
  dataServices?: DataServices;
}

export class FlockManager {
  private readonly flocks = new Map<string, Flock>();
  private readonly warnedAliases = new Set<string>();
  private ready = false;
  private readonly runtime: MonkeyRuntime;

  constructor(private readonly deps: FlockManagerDeps) {
    const { platform, http, logger, scrubber } = deps;
    this.runtime = { platform, http, logger, scrubber, logMaxBytes: deps.config.monkeyLogMaxBytes, notebooks: deps.notebooks };
    this.runtime.dataServices = deps.dataServices ?? dataServicesFromConfig(deps.config);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Parse and check a flock body; throws ApiError 422 with every located problem. */
  parseFlock(body: unknown): { config: FlockConfig; raw: Record<string, unknown> } {
    const parsed = flockConfigSchema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError({ code: "invalid_request", status: 422, message: "Invalid flock configuration", errors: issuesToLocations(parsed.error.issues) });
    }
    const def = lookupBusiness(parsed.data.business.type)!;
    const problems = def.check?.(parsed.data.business.options, { dataServices: this.runtime.dataServices!, final: true }) ?? [];
    const located = (p: (typeof problems)[number]) => ({ path: formatPath(["business", "options", ...p.path]), message: p.message });
    const errors = problems.filter((p) => p.severity === "error").map(located);
    if (errors.length) throw new ApiError({ code: "invalid_request", status: 422, message: "Invalid flock configuration", errors });
    for (const w of problems.filter((p) => p.severity === "warning").map(located)) this.deps.logger.warn({ flock: parsed.data.name, path: w.path }, w.message);
    return { config: parsed.data, raw: body as Record<string, unknown> };
  }

  /** Start-up: clean leftover labs, then start stored and autostart flocks (in the background). */
  async startup(): Promise<void> {
    const stored = await this.deps.store.listFlocks();
    const autostart = new Map(this.deps.config.autostart.map((raw) => [flockConfigSchema.parse(raw).name, raw as Record<string, unknown>]));
    const plans: { raw: Record<string, unknown>; source: "api" | "autostart"; paused: boolean; start: string }[] = [];
    for (const row of stored) {
      if (row.source === "autostart" && !autostart.has(row.name)) {
        await this.deps.store.deleteFlock(row.name); // no longer in the config
        continue;
      }
      if (autostart.has(row.name)) continue;
      plans.push({ raw: row.config, source: "api", paused: row.paused, start: row.start_time });
    }
    for (const [name, raw] of autostart) {
      const row = stored.find((r) => r.name === name && r.source === "autostart");
      plans.push({ raw, source: "autostart", paused: row?.paused ?? false, start: row?.start_time ?? new Date().toISOString() });
    }
    const parsed = plans.flatMap((p) => {
      try {
        return [{ ...p, ...this.parseFlock(p.raw) }];
      } catch (err) {
        this.deps.logger.error({ flock: p.raw["name"], err: (err as Error).message }, "stored flock no longer valid; left in the database, not started");
        return [];
      }
    });
    await this.cleanLeftovers(parsed.flatMap((p) => (lookupBusiness(p.config.business.type)?.usesLab ? flockUsers(p.config).map((u) => u.username) : [])));
    for (const p of parsed) {
      const keepCounts = stored.some((r) => r.name === p.config.name);
      await this.launch({ config: p.config, raw: p.raw, source: p.source, paused: p.paused, startTime: p.start, keepCounts });
    }
    this.ready = true;
  }

  private async cleanLeftovers(usernames: string[]): Promise<void> {
    if (usernames.length === 0) return;
    try {
      const stopped = await this.deps.platform.stopServers(usernames, AbortSignal.timeout(60_000));
      if (stopped.length) this.deps.logger.info({ users: stopped }, "stopped leftover labs");
    } catch (err) {
      this.deps.logger.warn({ err: this.deps.scrubber.scrub((err as Error).message) }, "could not clean leftover labs");
    }
  }

  /** Create a flock, or replace a running one with the same name (as mobu does). */
  async putFlock(body: unknown): Promise<Flock> {
    const { config, raw } = this.parseFlock(body);
    const existing = this.flocks.get(config.name);
    if (existing) await this.removeFlock(existing);
    return this.launch({ config, raw, source: "api", paused: false, startTime: new Date().toISOString(), keepCounts: false });
  }

  private async launch(opts: { config: FlockConfig; raw: Record<string, unknown>; source: "api" | "autostart"; paused: boolean; startTime: string; keepCounts: boolean }): Promise<Flock> {
    const def = lookupBusiness(opts.config.business.type)!;
    if (def.type !== opts.config.business.type && !this.warnedAliases.has(opts.config.business.type)) {
      this.warnedAliases.add(opts.config.business.type);
      this.deps.logger.warn(`business type ${opts.config.business.type} is deprecated; use ${def.type}`);
    }
    if (!opts.keepCounts) {
      await this.deps.store.saveFlock({ name: opts.config.name, config: opts.raw, source: opts.source, paused: opts.paused, start_time: opts.startTime });
    } else if (opts.source === "autostart") {
      await this.deps.store.updateConfig(opts.config.name, opts.raw);
    }
    const counts = opts.keepCounts ? await this.deps.store.loadCounts(opts.config.name) : new Map();
    const flock = new Flock({
      config: opts.config,
      rawConfig: opts.raw,
      source: opts.source,
      startTime: opts.startTime,
      paused: opts.paused,
      definition: def,
      runtime: this.runtime,
      counts,
      onExecution: (f, m, record) => this.onExecution(f, m, record),
    });
    this.flocks.set(flock.name, flock);
    flock.start();
    this.deps.logger.info({ flock: flock.name, count: opts.config.count, business: def.type, paused: opts.paused }, "flock started");
    return flock;
  }

  private onExecution(flock: Flock, monkey: Monkey, record: Execution): void {
    if (this.flocks.get(flock.name) === flock) {
      this.deps.store.recordCounts(flock.name, monkey.name, { success: monkey.successCount, failure: monkey.failureCount });
    }
    try {
      this.deps.onExecution?.(record);
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, "execution hook failed");
    }
  }

  getFlock(name: string): Flock {
    const flock = this.flocks.get(name);
    if (!flock) throw flockNotFound(name);
    return flock;
  }

  listFlocks(): string[] {
    return [...this.flocks.keys()].sort();
  }

  /** Stop a flock for good: monkeys stopped, labs deleted, tokens revoked, row removed. */
  async deleteFlock(name: string): Promise<void> {
    await this.removeFlock(this.getFlock(name));
  }

  private async removeFlock(flock: Flock): Promise<void> {
    this.flocks.delete(flock.name);
    await this.deps.store.deleteFlock(flock.name);
    await flock.stop();
    if (flock.definition.usesLab) await this.cleanLeftovers(flock.usernames);
    this.deps.logger.info({ flock: flock.name }, "flock stopped");
  }

  async pauseFlock(name: string): Promise<Flock> {
    const flock = this.getFlock(name);
    await this.deps.store.setPaused(name, true);
    await flock.pause();
    return flock;
  }

  async resumeFlock(name: string): Promise<Flock> {
    const flock = this.getFlock(name);
    await this.deps.store.setPaused(name, false);
    flock.resume();
    return flock;
  }

  /**
   * Make every monkey of the flock pick up the newest commit of its repository at its next
   * notebook boundary (`POST /flocks/{flock}/refresh`; the GitHub webhook calls it too).
   * Returns how many monkeys will refresh. 409 when the flock's business has no repository.
   */
  refreshFlock(name: string): { flock: string; monkeys: number } {
    const flock = this.getFlock(name);
    const monkeys = flock.refresh();
    if (monkeys < 0) {
      throw new ApiError({ code: "invalid_flock_state", status: 409, message: `flock ${name} runs ${flock.definition.type}, which has nothing to refresh` });
    }
    this.deps.logger.info({ flock: name, monkeys }, "refresh requested");
    return { flock: name, monkeys };
  }

  /** Change `count` of a `user_spec` flock. */
  async setCount(name: string, count: number): Promise<Flock> {
    const flock = this.getFlock(name);
    const raw: Record<string, unknown> = { ...flock.storedConfig, count };
    if (raw["users"]) {
      throw new ApiError({ code: "invalid_flock_state", status: 409, message: "count can only change for flocks defined with user_spec", errors: [{ path: "count", message: "this flock lists its users" }] });
    }
    const { config } = this.parseFlock(raw);
    await this.deps.store.updateConfig(name, raw);
    await flock.setCount(count, raw, config);
    return flock;
  }

  summaries(): FlockSummary[] {
    return this.listFlocks().map((n) => this.flocks.get(n)!.summary());
  }

  /** Stop every flock (rows kept, so they come back at the next start), bounded in time. */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.ready = false;
    const all = Promise.all([...this.flocks.values()].map((f) => f.stop())).then(() => true);
    const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const done = await Promise.race([all, timedOut]);
    await this.deps.store.flush();
    this.flocks.clear();
    return done;
  }
}
