/** Which notebooks run: pathlib-style globs, mobu.yaml validation and collection rules. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { globToRegExp } from "../../../src/businesses/notebook-runner/glob.js";
import { applyRules, effectiveRules, listNotebooks, parseRepoConfig, RepoConfigError, selectNotebooks } from "../../../src/businesses/notebook-runner/selection.js";

const matches = (pattern: string, path: string) => globToRegExp(pattern).test(path);

function tree(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "troop-select-"));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), "{}");
  }
  return dir;
}

describe("glob patterns (pathlib)", () => {
  it.each([
    ["**/*.ipynb", "a.ipynb", true],
    ["**/*.ipynb", "x/y/a.ipynb", true],
    ["*.ipynb", "x/a.ipynb", false],
    ["these/**", "these/a.ipynb", true],
    ["these/**", "these/deep/er/a.ipynb", true],
    ["these/**", "thesexyz/a.ipynb", false],
    ["also/these**", "also/these-1.ipynb", true],
    ["also/these**", "also/these/a.ipynb", false],
    ["**/these-*", "a/b/these-1.ipynb", true],
    ["nb-?.ipynb", "nb-1.ipynb", true],
    ["nb-[0-4].ipynb", "nb-5.ipynb", false],
    ["nb-[!0-4].ipynb", "nb-5.ipynb", true],
    ["a.b.ipynb", "aXb.ipynb", false],
    ["Dir/*.ipynb", "dir/a.ipynb", false],
  ])("%s matches %s: %s", (pattern, path, expected) => {
    expect(matches(pattern, path)).toBe(expected);
  });
});

describe("collection rules", () => {
  const all = ["a.ipynb", "these/b.ipynb", "these/not/c.ipynb", "other/d.ipynb", "other/these-e.ipynb"];
  it("intersects with the union of patterns, then excludes, in order; rules only remove", () => {
    expect(applyRules(all, [{ type: "intersect_union_of", patterns: ["these/**", "**/these-*"] }])).toEqual(["these/b.ipynb", "these/not/c.ipynb", "other/these-e.ipynb"]);
    expect(applyRules(all, [{ type: "intersect_union_of", patterns: ["these/**"] }, { type: "exclude_union_of", patterns: ["these/not/**"] }, { type: "intersect_union_of", patterns: ["**/*.ipynb", "a.ipynb"] }])).toEqual(["these/b.ipynb"]);
  });

  it("turns exclude_dirs (flock and repository) into exclude_union_of <dir>/**", () => {
    const rules = effectiveRules({ collection_rules: [], exclude_dirs: ["these/not/"] }, { collection_rules: [], exclude_dirs: ["other"] });
    expect(rules).toEqual([{ type: "exclude_union_of", patterns: ["these/not/**", "other/**"] }]);
    expect(applyRules(all, rules)).toEqual(["a.ipynb", "these/b.ipynb"]);
  });
});

describe("finding notebooks", () => {
  it("lists every .ipynb at any depth, sorted, except in hidden folders", async () => {
    const dir = tree(["b.ipynb", "a/x.ipynb", "a/b/c/deep.ipynb", ".hidden/no.ipynb", "a/.ipynb_checkpoints/x-checkpoint.ipynb", "README.md", "notes.ipynb.txt"]);
    expect(await listNotebooks(dir)).toEqual(["a/b/c/deep.ipynb", "a/x.ipynb", "b.ipynb"]);
  });

  it("applies the repository's mobu.yaml after the flock's rules", async () => {
    const dir = tree(["keep/a.ipynb", "keep/b.ipynb", "drop/c.ipynb"]);
    writeFileSync(join(dir, "mobu.yaml"), "exclude_dirs: [drop]\ncollection_rules:\n  - type: exclude_union_of\n    patterns: ['keep/b*']\n");
    expect(await selectNotebooks(dir, { collection_rules: [], exclude_dirs: [] })).toEqual(["keep/a.ipynb"]);
    expect(await selectNotebooks(dir, { collection_rules: [{ type: "intersect_union_of", patterns: ["drop/**"] }], exclude_dirs: [] })).toEqual([]);
  });

  it("accepts an empty or absent mobu.yaml", async () => {
    expect(parseRepoConfig("")).toEqual({ collection_rules: [], exclude_dirs: [] });
    expect(await selectNotebooks(tree(["a.ipynb"]), { collection_rules: [], exclude_dirs: [] })).toEqual(["a.ipynb"]);
  });

  it.each([
    ["collection_rules:\n  - type: include\n    patterns: ['*']\n", /^mobu\.yaml:2:11: collection_rules\[0\]\.type: Invalid option/],
    ["collection_rules:\n  - type: exclude_union_of\n    patterns: []\n", /^mobu\.yaml:3:15: collection_rules\[0\]\.patterns: Too small/],
    ["exclude_dirs: [a]\nnotebooks_to_run: [b]\n", /^mobu\.yaml:2:1: notebooks_to_run: unknown key notebooks_to_run/],
    ["exclude_dirs: [a\n", /^mobu\.yaml:\d+:\d+: /],
    ["- just\n- a list\n", /^mobu\.yaml:1:1: \(document\): /],
  ])("rejects a bad mobu.yaml naming the file, the place and the problem: %j", (text, message) => {
    expect(() => parseRepoConfig(text)).toThrow(RepoConfigError);
    expect(() => parseRepoConfig(text)).toThrow(message);
  });
});
