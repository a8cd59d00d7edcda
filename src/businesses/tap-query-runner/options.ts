/**
 * Options of the TAP and SIA businesses (mobu's `TAPBusinessOptions` and friends, plus Troop's
 * `max_rows` and `response_format`). Where each service is comes from the service config
 * (`tap`, `sia`), selected by `dataset`.
 * @module
 */
import { z } from "zod";
import { duration } from "../../config/duration.js";
import { baseOptionsShape } from "../options.js";

const dataShape = {
  ...baseOptionsShape,
  dataset: z.string().default("dp02").meta({ description: "Dataset whose service is queried: its URL is `tap.datasets[dataset]` (or `sia.…`) in the service config, else the default `url`" }),
  query_timeout: duration("Limit for one query, from submission to the last byte of the result; an async job still running then is aborted (PHASE=ABORT) and the iteration fails with class timeout. null: 1 hour")
    .nullable()
    .default(null),
  max_rows: z.number().int().min(0).nullable().default(null).meta({ description: "MAXREC: most rows the service may return (a truncated result is a success with a note); null: the service's default" }),
  response_format: z.string().min(1).nullable().default(null).meta({ description: "RESPONSEFORMAT, e.g. votable/td, votable/b2, csv; null: the service's default (a VOTable)", examples: ["votable/td"] }),
};

const tapShape = {
  ...dataShape,
  sync: z.boolean().default(true).meta({ description: "true: POST /sync; false: an async UWS job (create, run, poll, fetch, delete)" }),
};

/** `TAPQueryRunner`: `queries`, or the older form with `query_set` (means TAPQuerySetRunner). */
export const tapQueryRunnerOptionsSchema = z
  .strictObject({
    ...tapShape,
    queries: z.array(z.string().min(1)).min(1).optional().meta({ description: "ADQL queries; one is chosen at random each iteration" }),
    query_set: z.string().min(1).optional().meta({ description: "Older form: run this query set instead (as TAPQuerySetRunner)" }),
  })
  .superRefine((o, ctx) => {
    if (!o.queries && !o.query_set) ctx.addIssue({ code: "custom", path: ["queries"], message: "give queries (or, in the older form, query_set)" });
    if (o.queries && o.query_set) ctx.addIssue({ code: "custom", path: ["query_set"], message: "give queries or query_set, not both" });
  });
export type TapQueryRunnerOptions = z.output<typeof tapQueryRunnerOptionsSchema>;

/** `TAPQuerySetRunner`: templates of a query set rendered with random parameters. */
export const tapQuerySetRunnerOptionsSchema = z.strictObject({
  ...tapShape,
  query_set: z.string().min(1).default("dp0.1").meta({ description: "Name of a folder in the TAP query-set directory (`tap.querySets`)", examples: ["dp0.2"] }),
});
export type TapQuerySetRunnerOptions = z.output<typeof tapQuerySetRunnerOptionsSchema>;

/** Options every TAP business has (what the shared runner needs). */
export type TapOptions = z.output<z.ZodObject<typeof tapShape>>;

/** `SIAQuerySetRunner`: SIA 2 searches with random POS/TIME from a query set's parameters. */
export const siaQuerySetRunnerOptionsSchema = z.strictObject({
  ...dataShape,
  query_set: z.string().min(1).default("dp02").meta({ description: "Name of a folder in the SIA query-set directory (`sia.querySets`) holding params.yaml", examples: ["dp02"] }),
});
export type SiaQuerySetRunnerOptions = z.output<typeof siaQuerySetRunnerOptionsSchema>;
