/**
 * Options of the notebook runners (mobu's `NotebookRunnerOptions`). The runners themselves
 * are not implemented yet; the schema lets existing mobu configs validate.
 * @module
 */
import { z } from "zod";
import { duration } from "../../config/duration.js";
import { labOptionsShape } from "../jupyter-lab/options.js";

const collectionRule = z.strictObject({
  type: z.enum(["intersect_union_of", "exclude_union_of"]),
  patterns: z.array(z.string()).min(1),
});

const runnerShape = {
  ...labOptionsShape,
  repo_url: z.string().default("https://github.com/lsst-sqre/notebook-demo.git").meta({ description: "Git repository of notebooks" }),
  repo_ref: z.string().default("prod").meta({ description: "Branch, tag or commit" }),
  notebook_idle_time: duration("Pause between notebooks").default(0),
  collection_rules: z.array(collectionRule).default([]).meta({ description: "Which notebooks run" }),
  exclude_dirs: z.array(z.string()).default([]).meta({ description: "Deprecated: folders whose notebooks never run" }),
  cell_timeout: duration("Limit for one cell").default(300_000),
  notebook_timeout: duration("Limit for one notebook").default(3_600_000),
};

export const notebookRunnerCountingOptionsSchema = z.strictObject({
  ...runnerShape,
  max_executions: z.number().int().min(1).default(25),
});
export const notebookRunnerListOptionsSchema = z.strictObject(runnerShape);
export const notebookRunnerInfiniteOptionsSchema = z.strictObject(runnerShape);
