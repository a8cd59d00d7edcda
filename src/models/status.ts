/**
 * API response models: monkeys, flocks and summaries (mobu's fields plus Troop's).
 * @module
 */
import { z } from "zod";
import { executionSchema, imageInfoSchema } from "./execution.js";

export const monkeyStateSchema = z.enum(["starting", "running", "idle", "error", "paused", "stopping", "stopped"]);

export const monkeyDataSchema = z
  .strictObject({
    name: z.string(),
    state: monkeyStateSchema,
    user: z.strictObject({
      username: z.string(),
      uidnumber: z.number().optional(),
      gidnumber: z.number().optional(),
      groups: z.array(z.strictObject({ name: z.string(), id: z.number() })),
      scopes: z.array(z.string()),
    }).meta({ description: "The bot user. Its token is never shown" }),
    business: z.strictObject({
      name: z.string(),
      success_count: z.number(),
      failure_count: z.number(),
      refreshing: z.boolean(),
      phase: z.string().nullable().meta({ description: "Phase running now" }),
      image: imageInfoSchema.nullable(),
    }),
    last_execution: executionSchema.nullable(),
  })
  .meta({ id: "MonkeyData" });
export type MonkeyData = z.output<typeof monkeyDataSchema>;

export const flockSummarySchema = z
  .strictObject({
    name: z.string(),
    business: z.string(),
    start_time: z.string().nullable(),
    monkey_count: z.number(),
    success_count: z.number(),
    failure_count: z.number(),
    paused: z.boolean(),
  })
  .meta({ id: "FlockSummary" });
export type FlockSummary = z.output<typeof flockSummarySchema>;

export const flockDataSchema = z
  .strictObject({
    name: z.string(),
    config: z.record(z.string(), z.unknown()).meta({ description: "The flock's configuration as submitted" }),
    paused: z.boolean(),
    source: z.enum(["api", "autostart"]),
    monkeys: z.array(monkeyDataSchema),
  })
  .meta({ id: "FlockData" });
export type FlockData = z.output<typeof flockDataSchema>;

export const solitaryResultSchema = z
  .strictObject({
    success: z.boolean(),
    error: z.string().nullable(),
    log: z.string(),
    execution: executionSchema.nullable(),
    execution_id: z.string().nullable().meta({ description: "Id of the stored execution (GET /executions/{id}; listed by GET /solitary/executions)" }),
  })
  .meta({ id: "SolitaryResult" });
export type SolitaryResult = z.output<typeof solitaryResultSchema>;
