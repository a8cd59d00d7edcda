/**
 * Slack as an execution sink: each record goes through the noise-control policy; what it
 * decides is rendered in Block Kit, scrubbed of every known secret and queued (never awaited).
 * Also posts the daily report at the configured UTC time. Paused flocks never alert: their
 * records are ignored, and a queued message is dropped if its flock is paused before it goes.
 * @module
 */
import type { Logger } from "pino";
import type { SlackMessage } from "../../clients/slack.js";
import type { SlackConfig } from "../../config/results-schema.js";
import type { Execution } from "../../models/execution.js";
import type { WindowedFlockSummary } from "../../models/results.js";
import type { LinkBuilder } from "../results/executions.js";
import type { ExecutionSink, FlockStateLookup, SinkContext } from "../results/sink.js";
import type { SecretScrubber } from "../secrets.js";
import { dailyReportMessage, failureMessage, recoveryMessage, type AlertContext } from "./blocks.js";
import { AlertPolicy } from "./policy.js";
import { AlertQueue, type DropReason, type QueuedMessage } from "./queue.js";

export interface SlackSinkDeps {
  config: SlackConfig;
  environment: string;
  links: LinkBuilder;
  /** Delivers one message (SlackWebhookClient.post). */
  post(message: SlackMessage, signal: AbortSignal): Promise<void>;
  scrubber: SecretScrubber;
  logger: Logger;
  flockState: FlockStateLookup;
  /** Summaries of the running flocks, for the daily report. */
  summaries(): WindowedFlockSummary[];
  /** Counted in metrics. */
  onSent?(kind: string): void;
  onDropped?(reason: DropReason): void;
  now?: () => number;
}

export class SlackAlertSink implements ExecutionSink {
  readonly name = "slack";
  readonly policy: AlertPolicy;
  readonly queue: AlertQueue;
  private readonly ctx: AlertContext;
  private reportTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: SlackSinkDeps) {
    const c = deps.config;
    this.policy = new AlertPolicy({ threshold: c.threshold, repeatWindowMs: c.repeatWindow });
    this.ctx = { environment: deps.environment, link: (id) => (deps.links.absolute ? { dashboard: deps.links.dashboardExecution(id), api: deps.links.execution(id) } : null) };
    this.queue = new AlertQueue({
      send: deps.post,
      capacity: c.queueSize,
      maxAttempts: c.maxAttempts,
      retryDelayMs: c.retryDelay,
      timeoutMs: c.timeout,
      wanted: (m) => m.flock === null || deps.flockState(m.flock)?.paused !== true,
      onSent: (m) => {
        deps.onSent?.(m.kind);
        deps.logger.info({ kind: m.kind, flock: m.flock }, "slack message sent");
      },
      onDropped: (m, reason, detail) => {
        deps.onDropped?.(reason);
        const level = reason === "paused" ? "info" : "warn";
        deps.logger[level]({ kind: m.kind, flock: m.flock, reason, detail: deps.scrubber.scrub(detail) }, "slack message dropped");
      },
    });
    if (c.dailyReport) this.scheduleReport(c.dailyReport);
  }

  write(record: Execution, ctx: SinkContext): void {
    if (!this.deps.config.alerts || ctx.instance === null) return; // no running flock: nothing to alert about
    const now = (this.deps.now ?? Date.now)();
    for (const d of this.policy.decide(record, ctx.paused === true, now, ctx.instance)) {
      const message = d.kind === "recovery" ? recoveryMessage(d, this.ctx) : failureMessage(d, this.ctx);
      this.enqueue({ kind: d.kind, flock: record.flock, message });
    }
  }

  /** Queue the daily report now; false when there is no flock (as mobu) or the queue is full. */
  sendDailyReport(): boolean {
    const flocks = this.deps.summaries();
    if (flocks.length === 0) return false;
    return this.enqueue({ kind: "report", flock: null, message: dailyReportMessage(flocks, this.deps.environment) });
  }

  /** Last line of defence: no known secret leaves in a message. */
  private enqueue(m: QueuedMessage): boolean {
    const text = JSON.stringify(m.message);
    const clean = this.deps.scrubber.scrub(text);
    return this.queue.push(clean === text ? m : { ...m, message: JSON.parse(clean) as SlackMessage });
  }

  private scheduleReport(at: string): void {
    const [h, m] = at.split(":").map(Number) as [number, number];
    const now = (this.deps.now ?? Date.now)();
    const d = new Date(now);
    let next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), h, m);
    if (next <= now) next += 86_400_000;
    this.reportTimer = setTimeout(() => {
      this.sendDailyReport();
      this.scheduleReport(at);
    }, next - now);
    this.reportTimer.unref();
  }

  async close(): Promise<void> {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    await this.queue.close(2000);
  }
}
