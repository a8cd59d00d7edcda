/**
 * Where execution records go after a monkey produces them: a set of sinks behind one small
 * interface (in the manner of k6 outputs or Checkly reporters) — the history store, the
 * rolling windows, Prometheus metrics, Slack alerts. The fan-out is the flock manager's
 * `onExecution` hook: it runs on the monkey's own call, so every sink must return at once
 * (queue, never await) and a sink that throws is logged and skipped, never propagated.
 * @module
 */
import type { Logger } from "pino";
import type { Execution } from "../../models/execution.js";

/** What a sink is told about the record's flock when the record arrives. */
export interface SinkContext {
  /** The flock is paused (null: no running flock of that name, e.g. deleted meanwhile). */
  paused: boolean | null;
  /** The running flock itself (an identity: a flock replaced or re-created under the same name is another one). */
  instance: object | null;
}

/** One destination of execution records. */
export interface ExecutionSink {
  readonly name: string;
  /** Take one record. Must not block and should not throw. */
  write(record: Execution, ctx: SinkContext): void;
  /** Flush what is pending and stop (at shutdown). */
  close?(): Promise<void>;
}

/** The state of a running flock, as the fan-out needs it. */
export type FlockStateLookup = (flock: string) => { paused: boolean; instance: object } | null;

/** Hands every record to every sink. */
export class ResultsFanout {
  private readonly failing = new Set<string>();

  constructor(
    private readonly sinks: readonly ExecutionSink[],
    private readonly flockState: FlockStateLookup,
    private readonly logger: Logger,
  ) {}

  /** The manager's `onExecution` hook. */
  record(record: Execution): void {
    const state = record.flock === null ? null : this.flockState(record.flock);
    const ctx: SinkContext = { paused: state?.paused ?? null, instance: state?.instance ?? null };
    for (const sink of this.sinks) {
      try {
        sink.write(record, ctx);
        this.failing.delete(sink.name);
      } catch (err) {
        // log once per run of failures, not once per record
        if (!this.failing.has(sink.name)) this.logger.error({ sink: sink.name, err: (err as Error).message }, "execution sink failed");
        this.failing.add(sink.name);
      }
    }
  }

  /** Close every sink (in order; errors logged). */
  async close(): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.close?.();
      } catch (err) {
        this.logger.error({ sink: sink.name, err: (err as Error).message }, "execution sink did not close cleanly");
      }
    }
  }
}
