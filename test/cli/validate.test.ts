/**
 * `troop validate FILE` through the real binary: every valid example and seed config exits 0;
 * every broken config in test/data/configs/bad-*.yaml exits 1 with, for each problem, the file,
 * line, path in the document and what was expected, and no stack trace.
 */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const bin = `${root}bin/troop.js`;
const configs = new URL("../data/configs/", import.meta.url).pathname;
const examples = new URL("../../examples/", import.meta.url).pathname;
const data = (name: string) => `${configs}${name}`;

async function troop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { PATH: process.env["PATH"] } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** One expected problem: line in the file, path in the document, and what was expected. */
interface Problem {
  line: number;
  path: string;
  message: RegExp;
}

/** What `troop validate` must report for each broken config (every bad-*.yaml needs an entry). */
const BAD: Record<string, Problem[]> = {
  "bad-business-type.yaml": [{ line: 7, path: "autostart[0].business.type", message: /expected one of: EmptyLoop, NubladoPythonLoop, .*JupyterPythonLoop/ }],
  "bad-count-mismatch.yaml": [{ line: 4, path: "autostart[0].users", message: /count is 2 but 1 users are listed/ }],
  "bad-duration.yaml": [{ line: 9, path: "autostart[0].business.options.idle_time", message: /expected a duration such as "5m30s".*got "five minutes"/ }],
  "bad-max-executions.yaml": [{ line: 9, path: "autostart[0].business.options.max_executions", message: /expected number/ }],
  "bad-syntax.yaml": [{ line: 4, path: "(syntax)", message: /Flow sequence/ }],
  "bad-unknown-key.yaml": [{ line: 10, path: "autostart[0].business.options.cod", message: /unknown key "cod"/ }],
  "bad-username.yaml": [{ line: 5, path: "autostart[0].users[0].username", message: /must begin with bot-/ }],
  "bad-users-and-spec.yaml": [{ line: 6, path: "autostart[0].user_spec", message: /give users or user_spec, not both/ }],
  "bad-several.yaml": [
    { line: 2, path: "port", message: /expected number/ },
    { line: 7, path: "autostart[0].users[0].username", message: /must begin with bot-/ },
    { line: 11, path: "autostart[0].business.options.idle_time", message: /expected a duration.*got "soon"/ },
    { line: 12, path: "autostart[0].business.options.max_executions", message: />=1/ },
    { line: 13, path: "autostart[0].business.options.cod", message: /unknown key "cod"/ },
    { line: 20, path: "autostart[1].business.restart", message: /expected boolean/ },
    { line: 23, path: "autostart[2].users", message: /count is 2 but 1 users are listed/ },
  ],
};

const badFiles = readdirSync(configs).filter((f) => /^bad-.*\.ya?ml$/.test(f)).sort();
const goodFiles = [
  ...readdirSync(examples).filter((f) => f.endsWith(".yaml")).map((f) => `${examples}${f}`),
  ...readdirSync(configs).filter((f) => f.startsWith("seed-")).map((f) => `${configs}${f}`),
];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("troop validate", () => {
  it("has expectations for every broken config (and only for existing ones)", () => {
    expect(badFiles).toEqual(Object.keys(BAD).sort());
  });

  it("covers examples/troop.yaml and examples/demo.yaml among the valid configs", () => {
    expect(goodFiles).toEqual(expect.arrayContaining([`${examples}troop.yaml`, `${examples}demo.yaml`]));
  });

  it.each(goodFiles.map((f) => [relative(root, f), f]))("exits 0 for %s", async (_name, file) => {
    const r = await troop("validate", file);
    expect({ code: r.code, stderr: r.stderr.split("\n").filter((l) => l && !l.startsWith("warning: ")) }).toEqual({ code: 0, stderr: [] });
    expect(r.stdout).toMatch(/: valid (\(\d+ autostart flocks?\)|flock spec)/);
  });

  it.each(badFiles)("exits 1 for %s with every problem located (file:line:, path, expectation) and no stack trace", async (name) => {
    const file = data(name);
    const r = await troop("validate", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n").filter(Boolean);
    const expected = BAD[name] ?? [];
    for (const p of expected) {
      const pattern = new RegExp(`^${escape(file)}:${p.line}:(\\d+:)? ${escape(p.path)}: .*${p.message.source}`);
      expect(lines, `${name}: ${p.path}`).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
    }
    // one line per problem, each located, nothing else (no stack trace, no "Error:" dump)
    expect(lines).toHaveLength(expected.length);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${escape(file)}:\\d+:`));
    expect(r.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
  });

  it("exits 1 with a clear message for a missing file", async () => {
    const r = await troop("validate", "/nonexistent/troop.yaml");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/nonexistent\/troop.yaml: \(file\): cannot read: ENOENT/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
