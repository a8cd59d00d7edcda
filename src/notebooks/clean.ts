/**
 * Notebook hygiene (`troop notebooks clean`): strip outputs, execution counts and volatile
 * metadata so that notebooks are committed without outputs (the seed technote's "Outputs").
 * Works on the JSON as read, so anything it does not know is kept as it is.
 * @module
 */
import { z } from "zod";

/** Cell metadata written by front ends and tools while running, never by an author. */
const VOLATILE_CELL_METADATA = ["execution", "ExecuteTime", "collapsed", "scrolled", "papermill", "jupyter"] as const;
/** Notebook metadata of the same kind. */
const VOLATILE_NOTEBOOK_METADATA = ["widgets", "signature", "papermill"] as const;

const cellSchema = z.looseObject({
  cell_type: z.string(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  outputs: z.array(z.unknown()).optional(),
  execution_count: z.number().nullable().optional(),
});
const notebookSchema = z.looseObject({
  nbformat: z.number().int().min(4, "only nbformat 4 notebooks are supported"),
  metadata: z.record(z.string(), z.unknown()).default({}),
  cells: z.array(cellSchema),
});
type Notebook = z.output<typeof notebookSchema>;

/** What cleaning changed (empty when the notebook was already clean). */
export interface CleanFindings {
  outputs: number;
  executionCounts: number;
  metadataKeys: string[];
}

/** Parse notebook JSON text; throws an Error saying what is wrong. */
export function parseNotebook(text: string): Notebook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  const parsed = notebookSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new Error(`not a notebook: ${first.path.join(".") || "(document)"}: ${first.message}`);
  }
  return parsed.data;
}

/** Clean a notebook in memory; returns the cleaned notebook and what was removed. */
export function cleanNotebook(nb: Notebook): { notebook: Notebook; findings: CleanFindings } {
  const findings: CleanFindings = { outputs: 0, executionCounts: 0, metadataKeys: [] };
  const cells = nb.cells.map((cell, i) => {
    const out = { ...cell };
    if (cell.cell_type === "code") {
      findings.outputs += cell.outputs?.length ?? 0;
      if (cell.execution_count !== null && cell.execution_count !== undefined) findings.executionCounts++;
      out.outputs = [];
      out.execution_count = null;
    }
    if (cell.metadata) {
      const meta = { ...cell.metadata };
      for (const key of VOLATILE_CELL_METADATA) {
        if (key in meta) {
          delete meta[key];
          findings.metadataKeys.push(`cells[${i}].metadata.${key}`);
        }
      }
      out.metadata = meta;
    }
    return out;
  });
  const metadata = { ...nb.metadata };
  for (const key of VOLATILE_NOTEBOOK_METADATA) {
    if (key in metadata) {
      delete metadata[key];
      findings.metadataKeys.push(`metadata.${key}`);
    }
  }
  return { notebook: { ...nb, metadata, cells }, findings };
}

/** True when cleaning would change something. */
export function isDirty(f: CleanFindings): boolean {
  return f.outputs > 0 || f.executionCounts > 0 || f.metadataKeys.length > 0;
}

/** Serialise as Jupyter does (one-space indent, non-ASCII kept, trailing newline). */
export function formatNotebook(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 1)}\n`;
}
