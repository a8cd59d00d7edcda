/** Reading notebooks for execution and writing the executed copy. */
import { describe, expect, it } from "vitest";
import { executedNotebook, InvalidNotebookError, outputText, parseNotebook } from "../../../src/businesses/notebook-runner/notebook.js";
import { notebook } from "../../support/notebook-repo.js";

describe("parseNotebook", () => {
  it("keeps code cells only, numbered from 1, with ids, joined sources and tags", () => {
    const nb = parseNotebook(
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 4,
        metadata: {},
        cells: [
          { cell_type: "markdown", metadata: {}, source: ["# title"] },
          { cell_type: "code", metadata: {}, source: ["a = 1\n", "b = 2"], outputs: [], execution_count: null },
          { cell_type: "raw", metadata: {}, source: "1/0" },
          { cell_type: "code", id: "x1", metadata: { tags: ["skip-execution"] }, source: "1/0", outputs: [], execution_count: null },
          { cell_type: "code", id: "x2", metadata: { tags: ["raises-exception"] }, source: "raise X", outputs: [], execution_count: null },
        ],
      }),
    );
    expect(nb.codeCells).toEqual([
      { number: 1, index: 1, id: null, source: "a = 1\nb = 2", skip: false, mayRaise: false },
      { number: 2, index: 3, id: "x1", source: "1/0", skip: true, mayRaise: false },
      { number: 3, index: 4, id: "x2", source: "raise X", skip: false, mayRaise: true },
    ]);
  });

  it("reads required applications, including the older required_services", () => {
    const nb = parseNotebook(notebook([], { mobu: { required_applications: ["tap", "sia"], required_services: ["tap", "nublado"] } }));
    expect(nb.requiredApplications).toEqual(["tap", "sia", "nublado"]);
  });

  it.each([
    ["{", /^not JSON: /],
    ['{"nbformat": 3, "worksheets": []}', /^not an nbformat 4 notebook: nbformat: only nbformat 4/],
    ['{"nbformat": 4, "cells": {}}', /^not an nbformat 4 notebook: cells: /],
    ['{"nbformat": 4, "cells": [{"source": "x"}]}', /^not an nbformat 4 notebook: cells\.0\.cell_type: /],
  ])("rejects %s", (text, message) => {
    expect(() => parseNotebook(text)).toThrow(InvalidNotebookError);
    expect(() => parseNotebook(text)).toThrow(message);
  });
});

describe("executedNotebook", () => {
  it("writes outputs of the cells that ran, clears the others and adds metadata.troop", () => {
    const nb = parseNotebook(notebook([{ cell_type: "markdown", source: "m" }, { cell_type: "code", source: "print(1)" }, { cell_type: "code", source: "2" }]));
    const outputs = [{ output_type: "stream" as const, name: "stdout", text: "1\n" }];
    const out = JSON.parse(executedNotebook(nb, new Map([[1, { outputs, executionCount: 3 }]]), { result: "failure" }));
    expect(out.cells[0]).toMatchObject({ cell_type: "markdown", source: "m" });
    expect(out.cells[1]).toMatchObject({ outputs, execution_count: 3 });
    expect(out.cells[2]).toMatchObject({ outputs: [], execution_count: null });
    expect(out.metadata).toMatchObject({ kernelspec: { name: "python3" }, troop: { result: "failure" } });
  });

  it("gives the plain text of outputs for a failure's output tail", () => {
    expect(
      outputText([
        { output_type: "stream", name: "stdout", text: "hi\n" },
        { output_type: "execute_result", data: { "text/plain": "42" }, metadata: {}, execution_count: 1 },
        { output_type: "display_data", data: { "image/png": "..." }, metadata: {} },
        { output_type: "error", ename: "E", evalue: "v", traceback: [] },
      ]),
    ).toBe("hi\n42\nE: v\n");
  });
});
