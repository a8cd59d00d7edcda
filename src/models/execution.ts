/**
 * One iteration of a monkey's business (an *execution*) with its phase timeline.
 * @module
 */
import { z } from "zod";

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

export const executionSchema = z.strictObject({
  flock: z.string().nullable(),
  monkey: z.string(),
  business: z.string(),
  started_at: z.string(),
  ended_at: z.string(),
  duration_ms: z.number(),
  result: z.enum(["success", "failure"]),
  phases: z.array(phaseRecordSchema),
  error: executionErrorSchema.nullable(),
  image: imageInfoSchema.nullable(),
});
export type Execution = z.output<typeof executionSchema>;
