/**
 * `troop notebooks clean [--check] PATHS…`: clean notebooks in place, or with `--check` change
 * nothing and list the offenders (exit 1 if any). Folders are searched for `*.ipynb`,
 * hidden folders skipped.
 * @module
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanNotebook, formatNotebook, isDirty, parseNotebook, type CleanFindings } from "../notebooks/clean.js";

/** Every notebook under the given files and folders, sorted. */
export function findNotebooks(paths: string[]): string[] {
  const found: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const entry of readdirSync(p)) if (!entry.startsWith(".")) walk(join(p, entry));
    } else if (p.endsWith(".ipynb")) found.push(p);
  };
  for (const p of paths) walk(p);
  return found.sort();
}

function describe(f: CleanFindings): string {
  const parts = [];
  if (f.outputs) parts.push(`${f.outputs} output${f.outputs === 1 ? "" : "s"}`);
  if (f.executionCounts) parts.push(`${f.executionCounts} execution count${f.executionCounts === 1 ? "" : "s"}`);
  if (f.metadataKeys.length) parts.push(`metadata ${f.metadataKeys.join(", ")}`);
  return parts.join("; ");
}

/** Run the command; returns the exit code and prints one line per notebook it changed or flags. */
export function notebooksClean(paths: string[], opts: { check: boolean }, print: (line: string) => void = console.log): number {
  let offenders = 0;
  let errors = 0;
  for (const file of findNotebooks(paths)) {
    try {
      const { notebook, findings } = cleanNotebook(parseNotebook(readFileSync(file, "utf8")));
      if (!isDirty(findings)) continue;
      offenders++;
      if (opts.check) print(`${file}: ${describe(findings)}`);
      else {
        writeFileSync(file, formatNotebook(notebook));
        print(`cleaned ${file}: ${describe(findings)}`);
      }
    } catch (err) {
      errors++;
      print(`${file}: ${(err as Error).message}`);
    }
  }
  if (errors) return 1;
  return opts.check && offenders ? 1 : 0;
}
