/**
 * API models of results (issue 4): the execution history (query, page, detail) and the
 * windowed figures added to the summaries.
 * @module
 */
import { z } from "zod";
import { githubSummarySchema } from "./github.js";
import { executionSchema, failureClassSchema } from "./execution.js";
import { flockSummarySchema } from "./status.js";

/** Query of `GET /flocks/{flock}/executions` (every value arrives as a string). */
export const executionQuerySchema = z
  .strictObject({
    result: z.enum(["success", "failure", "skipped"]).optional().meta({ description: "Only executions with this result" }),
    since: z.iso.datetime({ offset: true }).optional().meta({ description: "Only executions started at or after this time (ISO 8601)" }),
    until: z.iso.datetime({ offset: true }).optional().meta({ description: "Only executions started before this time (ISO 8601)" }),
    monkey: z.string().min(1).max(100).optional().meta({ description: "Only this monkey's executions (its bot username)" }),
    failure_class: failureClassSchema.optional().meta({ description: "Only failures of this failure class" }),
    limit: z.coerce.number().int().min(1).max(1000).default(100).meta({ description: "Page size (1–1000)" }),
    cursor: z.string().regex(/^[0-9a-f]{12}-[0-9a-f-]{1,40}$/, "expected the next_cursor of a previous page").optional().meta({ description: "next_cursor of the previous page" }),
  }); // no meta id: OpenAPI lists its keys as query parameters
export type ExecutionQuery = z.output<typeof executionQuerySchema>;

const linksSchema = z.strictObject({
  self: z.string().meta({ description: "This execution in Troop's API (absolute when publicBaseUrl is set)" }),
  monkey_log: z.string().nullable().meta({ description: "The monkey's log (kept in memory while its flock runs)" }),
  artifact: z.string().nullable().meta({ description: "The stored artifact (e.g. the executed notebook), when there is one" }),
});

/** One stored execution as listed: the indexed columns plus the phase timeline. */
export const executionItemSchema = executionSchema
  .pick({ id: true, flock: true, monkey: true, business: true, started_at: true, ended_at: true, duration_ms: true, result: true, phases: true })
  .extend({
    error: z
      .strictObject({ phase: z.string(), failure_class: z.string(), exception: z.string().nullable(), message: z.string() })
      .nullable(),
    notebook: z.string().nullable().meta({ description: "Notebook path (run, or failing)" }),
    cell_number: z.number().nullable(),
    image: z.strictObject({ tag: z.string().nullable(), type: z.string().nullable(), version: z.string().nullable() }).nullable(),
    commit: z.string().nullable().meta({ description: "Repository commit of the notebooks run" }),
    artifact: z.string().nullable(),
    links: linksSchema,
  })
  .meta({ id: "ExecutionItem" });
export type ExecutionItem = z.output<typeof executionItemSchema>;

export const executionPageSchema = z
  .strictObject({
    executions: z.array(executionItemSchema).meta({ description: "Newest first" }),
    next_cursor: z.string().nullable().meta({ description: "Pass as cursor for the next (older) page; null on the last page" }),
  })
  .meta({ id: "ExecutionPage" });
export type ExecutionPage = z.output<typeof executionPageSchema>;

export const executionDetailSchema = executionItemSchema
  .extend({
    record: executionSchema.meta({ description: "The execution record as the monkey produced it" }),
    raw: z.string().meta({ description: "The stored JSON of the record" }),
  })
  .meta({ id: "ExecutionDetail" });
export type ExecutionDetail = z.output<typeof executionDetailSchema>;

/** `GET /flocks/{flock}/activity`: what the dashboard's overview draws of a flock, computed by the server. */
export const flockActivitySchema = z
  .strictObject({
    flock: z.string(),
    hours: z
      .array(
        z.strictObject({
          start: z.string().meta({ description: "Start of the clock hour (UTC), ISO 8601" }),
          executions: z.number(),
          failures: z.number(),
        }),
      )
      .meta({ description: "The 24 clock hours ending with the current one, oldest first; executions placed by start time (exact: from the summary's 24 h window)" }),
    failing: z
      .strictObject({
        since: z.string().meta({ description: "Start time of the run's first failure" }),
        first: executionItemSchema,
        last: executionItemSchema.meta({ description: "The newest failure" }),
      })
      .nullable()
      .meta({ description: "The current run of failures (the newest execution that succeeded or failed, by start time, failed: everything since the last success); null otherwise. From the whole history, however long ago it began" }),
  })
  .meta({ id: "FlockActivity" });
export type FlockActivity = z.output<typeof flockActivitySchema>;

const quantilesSchema = z.strictObject({
  count: z.number(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
});

/** Figures of one window (1 h, 24 h or 7 d) of one flock. */
export const windowStatsSchema = z
  .strictObject({
    executions: z.number(),
    successes: z.number(),
    failures: z.number(),
    skipped: z.number(),
    success_rate: z.number().nullable().meta({ description: "successes / (successes + failures); null without either" }),
    failure_classes: z.record(z.string(), z.number()).meta({ description: "Failures per failure class" }),
    phases: z.record(z.string(), quantilesSchema).meta({ description: "Duration per phase (every occurrence); estimates within 2.5 %" }),
    notebooks: z
      .record(z.string(), quantilesSchema.extend({ failures: z.number() }))
      .meta({ description: "Per notebook (runners): runs, failures and notebook duration (sum of its cells)" }),
  })
  .meta({ id: "WindowStats" });
export type WindowStats = z.output<typeof windowStatsSchema>;

export const WINDOW_NAMES = ["1h", "24h", "7d"] as const;
export type WindowName = (typeof WINDOW_NAMES)[number];

export const windowsSchema = z.strictObject({ "1h": windowStatsSchema, "24h": windowStatsSchema, "7d": windowStatsSchema });
export type Windows = z.output<typeof windowsSchema>;

/** mobu's flock summary plus `paused` and the windows. */
export const windowedFlockSummarySchema = flockSummarySchema
  .extend({ windows: windowsSchema.meta({ description: "Figures of the last hour, day and week (by start time)" }) })
  .meta({ id: "WindowedFlockSummary" });
export type WindowedFlockSummary = z.output<typeof windowedFlockSummarySchema>;

export const windowedSummarySchema = z
  .strictObject({ flocks: z.array(windowedFlockSummarySchema), ci_manager: z.null(), github: githubSummarySchema.optional().meta({ description: "CI queue and recent pull-request checks (only when github.enabled)" }) })
  .meta({ id: "WindowedSummary" });
