/**
 * Config of what Troop does with execution records (issue 4): the stored history and its
 * retention, Slack alerts and the daily report, Prometheus metrics. Nested under the service
 * config as `history`, `slack` and `metrics`; every key has a default.
 * @module
 */
import { z } from "zod";
import { duration } from "./duration.js";

/** `history`: every execution stored in the database, pruned by age and by row count. */
export const historyConfigSchema = z.strictObject({
  maxAge: duration("Executions older than this are pruned (7d windows are rebuilt from history at start-up)").default(30 * 86_400_000),
  maxRows: z.number().int().min(1000).max(1_000_000_000).default(1_000_000).meta({ description: "Most executions kept; the oldest are pruned first" }),
  flushInterval: duration("Records are written in one transaction at most this long after they were produced").default(500),
  queueLimit: z.number().int().min(100).max(10_000_000).default(100_000).meta({ description: "Records waiting to be written; beyond it the oldest are dropped (counted and logged)" }),
  pruneInterval: duration("How often retention runs").default(600_000),
});
export type HistoryConfig = z.output<typeof historyConfigSchema>;

const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a UTC time of day such as "09:00"')
  .meta({ description: "UTC time of day (HH:MM)", examples: ["09:00"] });

/** `slack`: failure alerts, recoveries and the daily report through an incoming webhook. */
export const slackConfigSchema = z.strictObject({
  webhookUrl: z.url().optional().meta({ description: "Slack incoming-webhook URL (env TROOP_SLACK_WEBHOOK_URL; a secret: prefer the environment). Absent: no alert, no report" }),
  alerts: z.boolean().default(true).meta({ description: "Send failure and recovery alerts (false: only the daily report)" }),
  threshold: z.number().int().min(1).max(1000).default(1).meta({ description: "Consecutive failures of one failure key in a flock before its first alert" }),
  repeatWindow: duration("After an alert, further failures of the same key are counted for this long, then summarised in one repeat alert").default(3_600_000),
  dailyReport: timeOfDay.nullable().default("09:00").meta({ description: 'UTC time of the daily report ("HH:MM"), or null for none' }),
  queueSize: z.number().int().min(1).max(10_000).default(100).meta({ description: "Messages waiting to be sent; beyond it new ones are dropped (counted and logged)" }),
  maxAttempts: z.number().int().min(1).max(20).default(5).meta({ description: "Attempts per message (network errors, 429 and 5xx are retried)" }),
  retryDelay: duration("First retry delay; doubled at each attempt (a 429's Retry-After wins)").default(1000),
  timeout: duration("Limit of one POST to Slack").default(10_000),
});
export type SlackConfig = z.output<typeof slackConfigSchema>;

/** `metrics`: `GET /metrics` in the Prometheus text format. */
export const metricsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({ description: "Serve GET /metrics" }),
  public: z.boolean().default(false).meta({ description: "Serve /metrics without the bearer token (e.g. for a scraper inside the cluster)" }),
});
export type MetricsConfig = z.output<typeof metricsConfigSchema>;
