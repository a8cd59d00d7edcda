/**
 * One iteration of a monkey's business (an *execution*) with its phase timeline.
 * @module
 */
import { z } from "zod";
import type { FailureClass } from "../errors.js";

/** Every failure class a business reports (`MonkeyError.failureClass`), for queries and OpenAPI. */
export const FAILURE_CLASSES = ["timeout", "code_error", "http_error", "network_error", "spawn_failed", "protocol_error", "dead_kernel", "invalid_notebook", "repo_error", "query_error", "internal"] as const satisfies readonly FailureClass[];
/** Compiles only while {@link FAILURE_CLASSES} lists every {@link FailureClass}. */
const everyClassListed: Exclude<FailureClass, (typeof FAILURE_CLASSES)[number]> extends never ? true : never = true;
void everyClassListed;

/** A failure class as a query value (stored records keep any string, for records of older versions). */
export const failureClassSchema = z.enum(FAILURE_CLASSES);

export const phaseRecordSchema = z.strictObject({
  name: z.string().meta({ examples: ["spawn_lab"] }),
  started_at: z.string().meta({ description: "ISO 8601 start time" }),
  duration_ms: z.number(),
  ok: z.boolean(),
});
export type PhaseRecord = z.output<typeof phaseRecordSchema>;

export const executionErrorSchema = z.strictObject({
  phase: z.string().meta({ examples: ["execute_code"] }),
  failure_class: z.string().meta({ examples: ["code_error", "timeout"] }),
  message: z.string(),
  code: z.string().nullable().meta({ description: "Code that was running, when relevant" }),
  exception: z.string().nullable().meta({ description: "Python exception name, e.g. ZeroDivisionError" }),
  traceback: z.string().nullable().meta({ description: "Traceback with ANSI codes stripped, bounded" }),
  notebook: z.string().nullable().default(null).meta({ description: "Repository-relative path of the failing notebook" }),
  cell_number: z.number().nullable().default(null).meta({ description: "1-based number of the failing code cell" }),
  cell_id: z.string().nullable().default(null).meta({ description: "nbformat id of the failing cell" }),
  output_tail: z.string().nullable().default(null).meta({ description: "Tail of the failing cell's output, bounded" }),
});
export type ExecutionError = z.output<typeof executionErrorSchema>;

export const imageInfoSchema = z.strictObject({
  reference: z.string().nullable(),
  description: z.string().nullable(),
  tag: z.string().nullable(),
  type: z.string().nullable(),
  version: z.string().nullable(),
});
export type ImageInfo = z.output<typeof imageInfoSchema>;

/** What a notebook iteration ran (notebook runners). */
export const notebookRunSchema = z.strictObject({
  path: z.string(),
  repo_url: z.string().nullable(),
  repo_ref: z.string().nullable(),
  commit: z.string().nullable(),
  cells: z.array(z.strictObject({ number: z.number(), id: z.string().nullable(), duration_ms: z.number(), ok: z.boolean() })).meta({ description: "Per code cell, in order" }),
});
export type NotebookRun = z.output<typeof notebookRunSchema>;

export const executionSchema = z.strictObject({
  id: z.string().meta({ description: "Unique id (time-ordered)" }),
  flock: z.string().nullable(),
  monkey: z.string(),
  business: z.string(),
  started_at: z.string(),
  ended_at: z.string(),
  duration_ms: z.number(),
  result: z.enum(["success", "failure", "skipped"]),
  phases: z.array(phaseRecordSchema),
  error: executionErrorSchema.nullable(),
  image: imageInfoSchema.nullable(),
  notebook: notebookRunSchema.nullable().default(null),
  artifact: z.string().nullable().default(null).meta({ description: "Id of a stored artifact (e.g. the executed notebook)" }),
  note: z.string().nullable().default(null).meta({ description: "Why a result is what it is (a skip reason, an overflow)" }),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}).meta({ description: "Business-specific figures (rows returned, bytes read, rendered query)" }),
});
export type Execution = z.output<typeof executionSchema>;
