/**
 * Purpose: the canary scans of issue 8 — every text a run produced (responses, log lines,
 * payloads sent to outside systems, database rows, files) searched for every secret it knew.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/** One text to search, and where it came from (for the failure message). */
export interface ScanSource {
  where: string;
  text: string;
}

/** Files under `dir`, recursively. */
export function files(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out = statSync(p).isDirectory() ? out.concat(files(p)) : out.concat(p);
  }
  return out;
}

/** Every file under `dir` as a source, named by its path below `dir`. */
export function fileSources(dir: string): ScanSource[] {
  return files(dir).map((f) => ({ where: `file ${f.slice(dir.length)}`, text: readFileSync(f, "latin1") }));
}

/** Every row of every table of a SQLite file, one text per row. */
export function databaseRows(file: string): ScanSource[] {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    return tables.flatMap(({ name }) =>
      (db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all() as Record<string, unknown>[]).map((row, i) => ({
        where: `table ${name} row ${i}`,
        text: Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString("latin1") : String(v))).join("\u0000"),
      })),
    );
  } finally {
    db.close();
  }
}

/** Each occurrence of a named secret in a source, with the text just before it (never the secret). */
export function findSecrets(canaries: Record<string, string>, sources: readonly ScanSource[]): string[] {
  const found: string[] = [];
  for (const [what, secret] of Object.entries(canaries)) {
    for (const s of sources) {
      const at = s.text.indexOf(secret);
      if (at >= 0) found.push(`${what} in ${s.where}: …${s.text.slice(Math.max(0, at - 80), at).replace(/\s+/g, " ")}[${what}]…`);
    }
  }
  return found;
}
