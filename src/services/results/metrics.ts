/**
 * Prometheus metrics (prom-client, one registry per container): executions, failures and
 * duration histograms fed by the execution sink interface; monkeys by state, paused flocks,
 * queue depths and drops read at scrape time; Node's default metrics, event-loop lag included.
 * Label sets are bounded: flock, business, result, phase, failure class, and for notebooks at
 * most MAX_NOTEBOOKS paths per flock and cell numbers up to MAX_CELL (beyond: "other").
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Execution } from "../../models/execution.js";
import type { HistoryStats } from "../../store/history-types.js";
import type { ExecutionSink } from "./sink.js";

/** Distinct notebook label values per flock; later notebooks are labelled "other". */
export const MAX_NOTEBOOKS = 100;
/** Largest cell number used as a label; later cells are labelled "other". */
export const MAX_CELL = 300;

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** What is read at scrape time. */
export interface MetricsSources {
  /** Monkeys of every running flock, counted by state. */
  monkeyStates(): { flock: string; state: string; count: number }[];
  flocks(): { flock: string; paused: boolean }[];
  history(): HistoryStats;
  /** Messages waiting in the alert queue (0 without Slack). */
  alertQueueDepth(): number;
}

export class MetricsSink implements ExecutionSink {
  readonly name = "metrics";
  readonly registry = new Registry();
  private readonly executions: Counter<"flock" | "business" | "result">;
  private readonly failures: Counter<"flock" | "business" | "phase" | "failure_class">;
  private readonly executionSeconds: Histogram<"flock" | "business" | "result">;
  private readonly phaseSeconds: Histogram<"flock" | "business" | "phase">;
  private readonly notebookSeconds: Histogram<"flock" | "notebook">;
  private readonly cellSeconds: Histogram<"flock" | "notebook" | "cell">;
  private readonly alertsSent: Counter<"kind">;
  private readonly alertsDropped: Counter<"reason">;
  private readonly notebooks = new Map<string, Set<string>>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.executions = new Counter({ name: "troop_executions_total", help: "Executions by flock, business and result", labelNames: ["flock", "business", "result"], registers });
    this.failures = new Counter({ name: "troop_failures_total", help: "Failed executions by failing phase and failure class", labelNames: ["flock", "business", "phase", "failure_class"], registers });
    this.executionSeconds = new Histogram({ name: "troop_execution_duration_seconds", help: "Duration of whole executions", labelNames: ["flock", "business", "result"], buckets: DURATION_BUCKETS, registers });
    this.phaseSeconds = new Histogram({ name: "troop_phase_duration_seconds", help: "Duration of each phase occurrence", labelNames: ["flock", "business", "phase"], buckets: DURATION_BUCKETS, registers });
    this.notebookSeconds = new Histogram({ name: "troop_notebook_duration_seconds", help: "Duration of a notebook run (sum of its cells)", labelNames: ["flock", "notebook"], buckets: DURATION_BUCKETS, registers });
    this.cellSeconds = new Histogram({ name: "troop_cell_duration_seconds", help: "Duration of each executed notebook cell", labelNames: ["flock", "notebook", "cell"], buckets: DURATION_BUCKETS, registers });
    this.alertsSent = new Counter({ name: "troop_alerts_sent_total", help: "Slack messages delivered, by kind (failure, repeat, recovery, report)", labelNames: ["kind"], registers });
    this.alertsDropped = new Counter({ name: "troop_alerts_dropped_total", help: "Slack messages dropped, by reason (queue_full, failed, rejected, paused)", labelNames: ["reason"], registers });
    new Gauge({
      name: "troop_monkeys",
      help: "Monkeys by flock and state",
      labelNames: ["flock", "state"],
      registers,
      collect() {
        this.reset();
        for (const m of sources.monkeyStates()) this.set({ flock: m.flock, state: m.state }, m.count);
      },
    });
    new Gauge({
      name: "troop_flock_paused",
      help: "1 when the flock is paused",
      labelNames: ["flock"],
      registers,
      collect() {
        this.reset();
        for (const f of sources.flocks()) this.set({ flock: f.flock }, f.paused ? 1 : 0);
      },
    });
    new Gauge({ name: "troop_alert_queue_depth", help: "Slack messages waiting to be sent", registers, collect() { this.set(sources.alertQueueDepth()); } });
    new Gauge({ name: "troop_history_queue_depth", help: "Execution records waiting to be written", registers, collect() { this.set(sources.history().pending); } });
    new Counter({
      name: "troop_history_records_total",
      help: "Execution records written, dropped (queue full or write error) and pruned since start",
      labelNames: ["outcome"],
      registers,
      collect() {
        // the store counts; a scrape copies its counters (which only grow) into this one
        const s = sources.history();
        this.reset();
        this.inc({ outcome: "written" }, s.written);
        this.inc({ outcome: "dropped" }, s.dropped);
        this.inc({ outcome: "pruned" }, s.pruned);
      },
    });
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  write(r: Execution): void {
    const flock = r.flock ?? "";
    this.executions.inc({ flock, business: r.business, result: r.result });
    this.executionSeconds.observe({ flock, business: r.business, result: r.result }, r.duration_ms / 1000);
    if (r.error) this.failures.inc({ flock, business: r.business, phase: r.error.phase, failure_class: r.error.failure_class });
    for (const p of r.phases) this.phaseSeconds.observe({ flock, business: r.business, phase: p.name }, p.duration_ms / 1000);
    if (r.notebook) {
      const notebook = this.notebookLabel(flock, r.notebook.path);
      this.notebookSeconds.observe({ flock, notebook }, r.notebook.cells.reduce((s, c) => s + c.duration_ms, 0) / 1000);
      for (const c of r.notebook.cells) {
        this.cellSeconds.observe({ flock, notebook, cell: c.number <= MAX_CELL ? String(c.number) : "other" }, c.duration_ms / 1000);
      }
    }
  }

  /** Count a Slack message delivered. */
  alertSent(kind: string): void {
    this.alertsSent.inc({ kind });
  }

  /** Count a Slack message dropped. */
  alertDropped(reason: string): void {
    this.alertsDropped.inc({ reason });
  }

  /** The exposition text and its content type. */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  private notebookLabel(flock: string, path: string): string {
    let seen = this.notebooks.get(flock);
    if (!seen) this.notebooks.set(flock, (seen = new Set()));
    if (seen.has(path)) return path;
    if (seen.size >= MAX_NOTEBOOKS) return "other";
    seen.add(path);
    return path;
  }
}
