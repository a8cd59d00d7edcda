/**
 * The registry of business types: the only place that lists them. The flock config's
 * `business` schema (a union discriminated on `type`, including old names) is derived from it,
 * so adding a business means one folder plus one line here.
 * @module
 */
import { z } from "zod";
import { emptyLoop } from "./empty-loop/index.js";
import { notebookRunnerCounting, notebookRunnerInfinite, notebookRunnerList } from "./notebook-runner/index.js";
import { nubladoPythonLoop } from "./nublado-python-loop/index.js";
import { siaQuerySetRunner, tapQueryRunner, tapQuerySetRunner } from "./tap-query-runner/index.js";
import type { BusinessDefinition } from "./types.js";

/** Every business type Troop knows. */
export const businessDefinitions: readonly BusinessDefinition[] = [
  emptyLoop,
  nubladoPythonLoop,
  notebookRunnerCounting,
  notebookRunnerList,
  notebookRunnerInfinite,
  tapQueryRunner,
  tapQuerySetRunner,
  siaQuerySetRunner,
];

const byName = new Map<string, BusinessDefinition>();
for (const def of businessDefinitions) {
  byName.set(def.type, def);
  for (const alias of def.aliases ?? []) byName.set(alias, def);
}

/** The definition for a type name or one of its old names. */
export function lookupBusiness(type: string): BusinessDefinition | undefined {
  return byName.get(type);
}

/** Every accepted `type` value, current names first. */
export const businessTypeNames: readonly string[] = [
  ...businessDefinitions.map((d) => d.type),
  ...businessDefinitions.flatMap((d) => d.aliases ?? []),
];

function member(type: string, def: BusinessDefinition) {
  return z.strictObject({
    type: z.literal(type).meta({ description: def.type === type ? def.description : `Old name of ${def.type}` }),
    options: (def.optionsSchema as z.ZodType).prefault({}),
    restart: z.boolean().default(false).meta({ description: "After a failure, delete the lab and start over with a fresh one" }),
  });
}

/** Schema of a flock's `business` block, derived from the registry. */
export const businessConfigSchema = z
  .discriminatedUnion(
    "type",
    [...byName.entries()].map(([type, def]) => member(type, def)) as unknown as [
      ReturnType<typeof member>,
      ...ReturnType<typeof member>[],
    ],
  )
  .meta({ description: "The business each monkey runs: `type`, its `options` and `restart`" });

/** A validated `business` block. Options are typed by each business from its own schema. */
export interface BusinessConfig {
  type: string;
  options: Record<string, unknown>;
  restart: boolean;
}
