/** The check output: table, details, annotations, and bounds to GitHub's limits. */
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../../src/models/github.js";
import { annotationBatches, bound, MAX_OUTPUT_CHARS, renderCheck } from "../../../src/services/github/check-output.js";
import { literalGlob } from "../../../src/services/notebook-pass.js";
import { globToRegExp } from "../../../src/businesses/notebook-runner/glob.js";

const nb = (path: string, verdict: "success" | "failure" | "skipped", extra: Partial<CheckResult["notebooks"][number]> = {}) => ({
  path,
  verdict,
  duration_ms: 1200,
  cell_number: null,
  reason: null,
  exception: null,
  cell_source: null,
  traceback: null,
  execution_id: null,
  ...extra,
});

describe("check output", () => {
  it("names the failing notebook, cell and error in summary, details and annotation", () => {
    const result: CheckResult = {
      commit: "0123456789abcdef0123",
      notebooks: [
        nb("ok.ipynb", "success"),
        nb("dir/bad|name.ipynb", "failure", { cell_number: 2, exception: "ZeroDivisionError", reason: "execute_cell: ZeroDivisionError: division by zero", cell_source: "x = 1 / 0\n```\n", traceback: "Traceback\nZeroDivisionError: division by zero" }),
        nb("excluded/x.ipynb", "skipped", { duration_ms: null, reason: "excluded by mobu.yaml" }),
      ],
      with_outputs: ["ok.ipynb"],
      error: null,
    };
    const out = renderCheck(result, "idfdev");
    expect(out.conclusion).toBe("failure");
    expect(out.title).toBe("1 of 2 notebooks failed");
    expect(out.summary).toContain("| `dir/bad\\|name.ipynb` | ❌ failure | 1.2s | 2 |");
    expect(out.summary).toContain("- `excluded/x.ipynb`: excluded by mobu.yaml");
    expect(out.summary).toContain("0123456789ab");
    expect(out.text).toContain("### `dir/bad|name.ipynb`, cell 2");
    expect(out.text).toContain("````python\nx = 1 / 0\n```\n\n````"); // a longer fence than the backticks inside
    expect(out.text).toContain("ZeroDivisionError: division by zero");
    expect(out.annotations).toEqual([
      expect.objectContaining({ path: "dir/bad|name.ipynb", annotation_level: "failure", title: "Cell 2 failed: ZeroDivisionError" }),
      expect.objectContaining({ path: "ok.ipynb", annotation_level: "warning" }),
    ]);
  });

  it("succeeds when nothing failed, including when no notebook changed", () => {
    expect(renderCheck({ commit: null, notebooks: [nb("a.ipynb", "success")], with_outputs: [], error: null }, "x")).toMatchObject({ conclusion: "success", title: "1 notebook passed" });
    expect(renderCheck({ commit: null, notebooks: [], with_outputs: [], error: null }, "x")).toMatchObject({ conclusion: "success", title: "No notebook changed" });
    expect(renderCheck({ commit: null, notebooks: [], with_outputs: [], error: "git fetch failed" }, "x")).toMatchObject({ conclusion: "failure", title: "Troop could not run the check" });
  });

  it("keeps summary and text within 65,535 characters and batches annotations by 50", () => {
    const huge = "é".repeat(50_000) + "😀".repeat(10_000);
    const notebooks = Array.from({ length: 3000 }, (_, i) => nb(`folder/notebook-${i}.ipynb`, "failure", { cell_number: 3, exception: "E", reason: "execute_cell: E: " + "y".repeat(200), cell_source: huge, traceback: huge }));
    const out = renderCheck({ commit: "c", notebooks, with_outputs: notebooks.slice(0, 120).map((n) => n.path), error: null }, "x");
    expect(out.summary.length).toBeLessThanOrEqual(MAX_OUTPUT_CHARS);
    expect(out.text.length).toBeLessThanOrEqual(MAX_OUTPUT_CHARS);
    expect(out.summary).toMatch(/… \d+ more/);
    expect(out.text).toMatch(/more characters of failure details not shown/);
    expect(out.annotations).toHaveLength(3120);
    for (const a of out.annotations) expect(a.message.length).toBeLessThanOrEqual(4000);
    const batches = annotationBatches(out.annotations);
    expect(batches).toHaveLength(63);
    expect(batches.every((b) => b.length <= 50)).toBe(true);
    expect(batches.flat()).toEqual(out.annotations);
  });

  it("bounds never split a surrogate pair", () => {
    const s = bound("😀".repeat(100), 51, () => "");
    expect(s.length).toBeLessThanOrEqual(51);
    expect(/[\uD800-\uDBFF]$/.test(s)).toBe(false);
  });

  it("matches changed paths literally in collection rules", () => {
    for (const p of ["a/[x]*?.ipynb", "b/**.ipynb", "plain.ipynb"]) {
      expect(globToRegExp(literalGlob(p)).test(p)).toBe(true);
      expect(globToRegExp(literalGlob(p)).test(p.replace(/\.ipynb$/, "x.ipynb"))).toBe(false);
    }
    expect(globToRegExp(literalGlob("a/[x]*?.ipynb")).test("a/x-y.ipynb")).toBe(false);
  });
});
