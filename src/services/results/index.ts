/**
 * Assembly of the results subsystem (issue 4), called once by the composition root: the
 * history store on the flocks' database, the rolling windows rebuilt from it, the metrics and
 * Slack sinks, the fan-out that is the flock manager's `onExecution` hook, and what the API
 * serves. Kept here so that `container.ts` only wires it in.
 * @module
 */
import type { Kysely } from "kysely";
import type { SqliteFlockStore } from "../../store/sqlite.js";
import type { Logger } from "pino";
import type { ResultsApi } from "../../api/routes/results.js";
import type { HttpClient } from "../../clients/http.js";
import { SlackWebhookClient } from "../../clients/slack.js";
import type { ServiceConfig } from "../../config/schema.js";
import type { GitHubSummary } from "../../models/github.js";
import { SqliteHistoryStore } from "../../store/history-sqlite.js";
import type { HistoryStore } from "../../store/history-types.js";
import { SlackAlertSink } from "../alerts/slack-sink.js";
import type { FlockManager } from "../flock-manager.js";
import type { SecretScrubber } from "../secrets.js";
import { ActivityService } from "./activity.js";
import { ExecutionQueries, LinkBuilder } from "./executions.js";
import { MetricsSink } from "./metrics.js";
import { ResultsFanout, type ExecutionSink, type FlockStateLookup } from "./sink.js";
import { SummaryService } from "./summaries.js";
import { TimingsService } from "./timings.js";
import { LONGEST_WINDOW_MS, RollingWindows, sampleOf } from "./windows.js";

export interface ResultsDeps {
  config: Readonly<ServiceConfig>;
  /** The flocks' store: the history lives in the same database, on the same connection. */
  store: SqliteFlockStore;
  logger: Logger;
  scrubber: SecretScrubber;
  http: HttpClient;
  /** The flock manager, built after this (its hook is our fan-out). */
  manager(): FlockManager;
  /** The CI part of `GET /summary` (null: the GitHub integration is off). */
  github?: (() => GitHubSummary | null) | undefined;
}

/** The results subsystem as the container holds it. */
export interface Results {
  /** The manager's `onExecution` hook. */
  fanout: ResultsFanout;
  api: ResultsApi;
  history: HistoryStore;
  windows: RollingWindows;
  metrics: MetricsSink | null;
  slack: SlackAlertSink | null;
  /** Executions read back from history into the windows at start-up. */
  rebuilt: number;
  /** Flush the history, drain Slack briefly, stop timers. */
  close(): Promise<void>;
}

export async function createResults(deps: ResultsDeps): Promise<Results> {
  const { config, logger, scrubber } = deps;
  scrubber.add(config.slack.webhookUrl);
  const history = new SqliteHistoryStore(deps.store.db as unknown as Kysely<unknown>, config.history, (message, fields) => logger.warn(fields, message));
  const windows = new RollingWindows();
  const started = Date.now();
  const rebuilt = await history.scan(started - LONGEST_WINDOW_MS, (s) => windows.add(s));
  if (rebuilt > 0) logger.info({ executions: rebuilt, ms: Date.now() - started }, "summary windows rebuilt from history");

  const flockState: FlockStateLookup = (name) => {
    try {
      const flock = deps.manager().getFlock(name);
      return { paused: flock.isPaused, instance: flock };
    } catch {
      return null;
    }
  };
  const flocks = () => deps.manager().listFlocks().map((name) => deps.manager().getFlock(name));
  const summaries = new SummaryService({ summaries: () => deps.manager().summaries(), getFlock: (name) => deps.manager().getFlock(name) }, windows, deps.github);
  const links = new LinkBuilder({ publicBaseUrl: config.publicBaseUrl, pathPrefix: config.pathPrefix });

  let slack: SlackAlertSink | null = null;
  const metrics = config.metrics.enabled
    ? new MetricsSink({
        monkeyStates: () =>
          flocks().flatMap((f) => {
            const counts = new Map<string, number>();
            for (const m of f.listMonkeys()) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
            return [...counts].map(([state, count]) => ({ flock: f.name, state, count }));
          }),
        flocks: () => flocks().map((f) => ({ flock: f.name, paused: f.isPaused })),
        history: () => history.stats(),
        alertQueueDepth: () => slack?.queue.depth ?? 0,
      })
    : null;
  if (config.slack.webhookUrl) {
    const client = new SlackWebhookClient(deps.http, config.slack.webhookUrl);
    slack = new SlackAlertSink({
      config: config.slack,
      environment: config.environmentName,
      links,
      post: (message, signal) => client.post(message, signal),
      scrubber,
      logger,
      flockState,
      summaries: () => summaries.all().flocks,
      onSent: (kind) => metrics?.alertSent(kind),
      onDropped: (reason) => metrics?.alertDropped(reason),
    });
  }

  const windowSink: ExecutionSink = { name: "windows", write: (r) => { const s = sampleOf(r); if (s) windows.add(s); } };
  const historySink: ExecutionSink = { name: "history", write: (r) => history.add(r), close: () => history.close() };
  const sinks = [historySink, windowSink, ...(metrics ? [metrics] : []), ...(slack ? [slack] : [])];
  const fanout = new ResultsFanout(sinks, flockState, logger);
  const isRunning = (f: string) => flockState(f) !== null;
  return {
    fanout,
    api: {
      summaries,
      executions: new ExecutionQueries({ history, isRunning, links }),
      metrics,
      metricsPublic: config.metrics.public,
      timings: new TimingsService({ history, isRunning }),
      activity: new ActivityService({ history, windows, isRunning, links }),
    },
    history,
    windows,
    metrics,
    slack,
    rebuilt,
    close: () => fanout.close(),
  };
}
