/**
 * Service discovery: fetches the discovery document at start and every `refreshInterval`,
 * keeps the last good document when a fetch fails (a warning in the log; the error and the
 * time of each attempt are in {@link DiscoveryService.status}), and answers the two questions
 * the businesses ask — which applications the deployment has (the config's
 * `availableApplications` plus the document's) and where a dataset's TAP or SIA service is.
 * Both are read at each use, so a refresh takes effect at the next notebook or start-up.
 * @module
 */
import type { Logger } from "pino";
import { z } from "zod";
import { discoveredServiceUrl, type DiscoveryClient, type DiscoveryDocument } from "../clients/discovery.js";

/** What `GET /discovery` shows. */
export const discoveryStatusSchema = z
  .strictObject({
    enabled: z.boolean().meta({ description: "A discovery URL is configured" }),
    url: z.string().nullable().meta({ description: "The discovery document's URL (query string removed)" }),
    refresh_interval_ms: z.number().nullable(),
    last_attempt: z.string().nullable().meta({ description: "When the last fetch started (ISO 8601)" }),
    last_success: z.string().nullable().meta({ description: "When the document in use was fetched" }),
    last_error: z.string().nullable().meta({ description: "Why the last fetch failed (null when it succeeded); the last good document stays in use" }),
    environment_name: z.string().nullable(),
    configured_applications: z.array(z.string()).meta({ description: "availableApplications of the service config" }),
    discovered_applications: z.array(z.string()).meta({ description: "applications of the document in use" }),
    applications: z.array(z.string()).meta({ description: "What notebooks' required_applications are checked against: the union of both" }),
    datasets: z.record(z.string(), z.record(z.string(), z.string())).meta({ description: "Per dataset of the document, its services' URLs" }),
  })
  .meta({ id: "DiscoveryStatus" });
export type DiscoveryStatus = z.output<typeof discoveryStatusSchema>;

/** Shortest pause between two scheduled fetches. */
const MIN_REFRESH_MS = 100;

export interface DiscoveryServiceDeps {
  /** Absent: discovery is off (only the config counts). */
  client: DiscoveryClient | null;
  /** `availableApplications` of the service config. */
  configuredApplications: readonly string[];
  refreshIntervalMs: number;
  timeoutMs: number;
  logger: Logger;
}

export class DiscoveryService {
  private doc: DiscoveryDocument | null = null;
  private lastAttempt: Date | null = null;
  private lastSuccess: Date | null = null;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<boolean> | null = null;
  private stopped = false;

  constructor(private readonly deps: DiscoveryServiceDeps) {}

  get enabled(): boolean {
    return this.deps.client !== null;
  }

  /** True once a document has been fetched (always true when discovery is off: nothing more will come). */
  get loaded(): boolean {
    return !this.enabled || this.doc !== null;
  }

  /** First fetch (bounded by the timeout; a failure only warns), then one every refresh interval. */
  async start(): Promise<void> {
    if (!this.enabled || this.stopped) return;
    await this.refresh();
    this.schedule();
  }

  /** Stop refreshing. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Fetch now; true when a new document is in use. Concurrent calls share one fetch. */
  refresh(): Promise<boolean> {
    if (!this.deps.client) return Promise.resolve(false);
    return (this.inFlight ??= this.fetchOnce(this.deps.client).finally(() => (this.inFlight = null)));
  }

  /** The deployment's applications: the config's and the document's, sorted, without duplicates. */
  applications(): string[] {
    return [...new Set([...this.deps.configuredApplications, ...(this.doc?.applications ?? [])])].sort();
  }

  /** URL of `dataset`'s `service` (`tap`, `sia`, …) in the document in use, or null. */
  serviceUrl(service: string, dataset: string): string | null {
    return this.doc ? discoveredServiceUrl(this.doc, dataset, service) : null;
  }

  /** What the document says and how the last fetches went. */
  status(): DiscoveryStatus {
    const datasets: Record<string, Record<string, string>> = {};
    for (const [name, d] of Object.entries(this.doc?.datasets ?? {})) {
      datasets[name] = Object.fromEntries(Object.entries(d.services).map(([k, v]) => [k, v.url]));
    }
    const url = this.deps.client?.url ?? null;
    return {
      enabled: this.enabled,
      url: url === null ? null : shownUrl(url),
      refresh_interval_ms: this.enabled ? this.deps.refreshIntervalMs : null,
      last_attempt: this.lastAttempt?.toISOString() ?? null,
      last_success: this.lastSuccess?.toISOString() ?? null,
      last_error: this.lastError,
      environment_name: this.doc?.environment_name ?? null,
      configured_applications: [...this.deps.configuredApplications],
      discovered_applications: [...(this.doc?.applications ?? [])],
      applications: this.applications(),
      datasets,
    };
  }

  private async fetchOnce(client: DiscoveryClient): Promise<boolean> {
    this.lastAttempt = new Date();
    try {
      const doc = await client.fetch(AbortSignal.timeout(this.deps.timeoutMs));
      const before = this.doc ? this.summary(this.doc) : null;
      this.doc = doc;
      this.lastSuccess = new Date();
      this.lastError = null;
      const after = this.summary(doc);
      if (after !== before) this.deps.logger.info({ url: shownUrl(client.url), applications: doc.applications, datasets: Object.keys(doc.datasets) }, "service discovery: document loaded");
      return true;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.deps.logger.warn({ url: shownUrl(client.url), err: this.lastError, keeping: this.doc ? this.lastSuccess?.toISOString() : null }, "service discovery: fetch failed; keeping the last good document");
      return false;
    }
  }

  private summary(doc: DiscoveryDocument): string {
    return JSON.stringify([doc.applications, doc.datasets]);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, Math.max(MIN_REFRESH_MS, this.deps.refreshIntervalMs));
    this.timer.unref();
  }
}

/** The URL as shown and logged: without credentials or query string (either could hold a secret). */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return url.split("?")[0]!;
  }
}
