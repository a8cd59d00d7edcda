/**
 * API models of the timings (issue 5): durations of one metric of a flock over time, in
 * buckets with count, p50 and p95, read from the execution history (bounded: at most
 * {@link MAX_TIMING_BUCKETS} buckets and {@link MAX_TIMING_ROWS} executions scanned).
 * @module
 */
import { z } from "zod";
import { parseDuration } from "../config/duration.js";

/** Most buckets one answer may have. */
export const MAX_TIMING_BUCKETS = 240;
/** Most executions one answer reads (the newest of the range). */
export const MAX_TIMING_ROWS = 20_000;

/** `phase:<name>`, `execution` (whole iteration), `notebook` (sum of its cells) or `cell` (every code cell). */
export const timingMetricSchema = z
  .string()
  .regex(/^(phase:[A-Za-z0-9_.-]{1,64}|execution|notebook|cell)$/, "expected phase:<name>, execution, notebook or cell")
  .meta({ description: "phase:<name> (e.g. phase:spawn_lab), execution, notebook (sum of its cells) or cell (each code cell)", examples: ["phase:spawn_lab"] });

const bucketSchema = z
  .string()
  .refine((s) => { const ms = parseDuration(s); return ms !== null && ms >= 5_000; }, "expected a duration of at least 5s, e.g. 5m, 1h")
  .meta({ description: "Bucket width (at least 5s); chosen from the range when omitted", examples: ["15m", "1h"] });

/** Query of `GET /flocks/{flock}/timings` (every value arrives as a string). */
export const timingsQuerySchema = z.strictObject({
  metric: timingMetricSchema.default("phase:spawn_lab"),
  notebook: z.string().min(1).max(500).optional().meta({ description: "Only executions of this notebook (path)" }),
  cell: z.coerce.number().int().min(1).max(10_000).optional().meta({ description: "With metric=cell: only this code cell (1-based)" }),
  since: z.iso.datetime({ offset: true }).optional().meta({ description: "Start of the range (ISO 8601); default: 24 h before until" }),
  until: z.iso.datetime({ offset: true }).optional().meta({ description: "End of the range (ISO 8601); default: now" }),
  bucket: bucketSchema.optional(),
}); // no meta id: OpenAPI lists its keys as query parameters
export type TimingsQuery = z.output<typeof timingsQuerySchema>;

export const timingBucketSchema = z
  .strictObject({
    start: z.string().meta({ description: "Start of the bucket (ISO 8601)" }),
    count: z.number().meta({ description: "Durations in the bucket (0: no data)" }),
    p50_ms: z.number().nullable(),
    p95_ms: z.number().nullable(),
  })
  .meta({ id: "TimingBucket" });

export const timingsSchema = z
  .strictObject({
    flock: z.string(),
    metric: z.string(),
    notebook: z.string().nullable(),
    cell: z.number().nullable(),
    since: z.string().meta({ description: "Start of the first bucket" }),
    until: z.string(),
    bucket_ms: z.number(),
    buckets: z.array(timingBucketSchema).meta({ description: "Oldest first, every bucket of the range (count 0 when empty)" }),
    total: z.strictObject({ count: z.number(), p50_ms: z.number().nullable(), p95_ms: z.number().nullable() }).meta({ description: "Over the whole range" }),
    scanned: z.number().meta({ description: "Executions read" }),
    truncated: z.boolean().meta({ description: "More than the scan limit started in the range: only the newest were read" }),
    phases: z.array(z.string()).meta({ description: "Phase names seen in the executions read (for a chooser)" }),
    notebooks: z.array(z.string()).meta({ description: "Notebook paths seen in the executions read" }),
  })
  .meta({ id: "Timings" });
export type Timings = z.output<typeof timingsSchema>;
