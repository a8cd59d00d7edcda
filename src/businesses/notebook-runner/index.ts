/** Registry entries of the notebook runners (old name of the counting one: NotebookRunner). @module */
import { defineBusiness } from "../types.js";
import { NotebookRunner } from "./business.js";
import {
  notebookRunnerCountingOptionsSchema,
  notebookRunnerInfiniteOptionsSchema,
  notebookRunnerListOptionsSchema,
} from "./options.js";

export const notebookRunnerCounting = defineBusiness({
  type: "NotebookRunnerCounting",
  aliases: ["NotebookRunner"],
  description: "Runs notebooks of a Git repository, max_executions per lab",
  optionsSchema: notebookRunnerCountingOptionsSchema,
  create: (ctx) => new NotebookRunner(ctx, "counting"),
  usesLab: true,
});
export const notebookRunnerList = defineBusiness({
  type: "NotebookRunnerList",
  description: "Runs every selected notebook of a Git repository once per lab",
  optionsSchema: notebookRunnerListOptionsSchema,
  create: (ctx) => new NotebookRunner(ctx, "list"),
  usesLab: true,
});
export const notebookRunnerInfinite = defineBusiness({
  type: "NotebookRunnerInfinite",
  description: "Runs the notebooks of a Git repository forever in one lab",
  optionsSchema: notebookRunnerInfiniteOptionsSchema,
  create: (ctx) => new NotebookRunner(ctx, "infinite"),
  usesLab: true,
});
