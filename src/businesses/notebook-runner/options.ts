/**
 * Options of the notebook runners (mobu's `NotebookRunnerOptions`), plus Troop's per-cell and
 * per-notebook time limits.
 * @module
 */
import { z } from "zod";
import { duration } from "../../config/duration.js";
import { labOptionsShape } from "../jupyter-lab/options.js";

/** One rule of `collection_rules` (flock options and the repository's `mobu.yaml`). */
export const collectionRuleSchema = z.strictObject({
  type: z.enum(["intersect_union_of", "exclude_union_of"]).meta({ description: "intersect_union_of: keep only notebooks matched by a pattern; exclude_union_of: drop them" }),
  patterns: z.array(z.string()).min(1).meta({ description: "pathlib glob patterns relative to the repository root", examples: [["tutorials/**"]] }),
});
export type CollectionRule = z.output<typeof collectionRuleSchema>;

const runnerShape = {
  ...labOptionsShape,
  repo_url: z.string().default("https://github.com/lsst-sqre/notebook-demo.git").meta({ description: "Git repository of notebooks" }),
  repo_ref: z.string().default("prod").meta({ description: "Branch, tag or commit" }),
  notebook_idle_time: duration("Pause between notebooks").default(0),
  collection_rules: z.array(collectionRuleSchema).default([]).meta({ description: "Which notebooks run" }),
  exclude_dirs: z.array(z.string()).default([]).meta({ description: "Deprecated: folders whose notebooks never run" }),
  cell_timeout: duration("Limit for one cell (the kernel is interrupted)").default(300_000),
  notebook_timeout: duration("Limit for one notebook (the kernel is interrupted)").default(3_600_000),
};

export const notebookRunnerCountingOptionsSchema = z.strictObject({
  ...runnerShape,
  max_executions: z.number().int().min(1).default(25).meta({ description: "Notebooks run per lab (cycling through the selection); then, with delete_lab, the lab is deleted" }),
});
export const notebookRunnerListOptionsSchema = z.strictObject(runnerShape);
export const notebookRunnerInfiniteOptionsSchema = z.strictObject(runnerShape);

export type NotebookRunnerCountingOptions = z.output<typeof notebookRunnerCountingOptionsSchema>;
/** Options every notebook runner has (Counting adds `max_executions`). */
export type NotebookRunnerOptions = z.output<typeof notebookRunnerListOptionsSchema> & { max_executions?: number };
