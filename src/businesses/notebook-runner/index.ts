/** Registry entries of the notebook runners: options known, runners not implemented yet. @module */
import { defineBusiness } from "../types.js";
import {
  notebookRunnerCountingOptionsSchema,
  notebookRunnerInfiniteOptionsSchema,
  notebookRunnerListOptionsSchema,
} from "./options.js";

const notYet = "the notebook runners are not implemented yet in this version of Troop";

export const notebookRunnerCounting = defineBusiness({
  type: "NotebookRunnerCounting",
  aliases: ["NotebookRunner"],
  description: "Runs max_executions notebooks of a Git repository per lab session",
  optionsSchema: notebookRunnerCountingOptionsSchema,
  usesLab: true,
  notImplemented: notYet,
});
export const notebookRunnerList = defineBusiness({
  type: "NotebookRunnerList",
  description: "Runs every selected notebook once per lab session",
  optionsSchema: notebookRunnerListOptionsSchema,
  usesLab: true,
  notImplemented: notYet,
});
export const notebookRunnerInfinite = defineBusiness({
  type: "NotebookRunnerInfinite",
  description: "Runs notebooks forever in one lab session",
  optionsSchema: notebookRunnerInfiniteOptionsSchema,
  usesLab: true,
  notImplemented: notYet,
});
