/**
 * Options of the TAP businesses (mobu's `TAPBusinessOptions`). The runners themselves are not
 * implemented yet; the schema lets existing mobu configs validate.
 * @module
 */
import { z } from "zod";
import { duration } from "../../config/duration.js";
import { baseOptionsShape } from "../options.js";

const tapShape = {
  ...baseOptionsShape,
  dataset: z.string().default("dp02"),
  sync: z.boolean().default(true),
  query_timeout: duration("Limit for one query").nullable().default(null),
};

/** `TAPQueryRunner`: `queries`, or the older form with `query_set` (means TAPQuerySetRunner). */
export const tapQueryRunnerOptionsSchema = z.strictObject({
  ...tapShape,
  queries: z.array(z.string()).min(1).optional(),
  query_set: z.string().optional(),
});
export const tapQuerySetRunnerOptionsSchema = z.strictObject({ ...tapShape, query_set: z.string().default("dp0.1") });
export const siaQuerySetRunnerOptionsSchema = z.strictObject({ ...baseOptionsShape, dataset: z.string().default("dp02"), query_set: z.string().default("dp02") });
