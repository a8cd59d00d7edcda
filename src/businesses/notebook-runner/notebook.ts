/**
 * Reading a notebook for execution: nbformat 4 JSON validated at the boundary, its code cells
 * in order (1-based code-cell number, nbformat id, source, the `skip-execution` and
 * `raises-exception` tags), the applications it requires, and the executed copy with the
 * outputs the bot saw.
 * @module
 */
import { z } from "zod";
import type { NbOutput } from "../../clients/jupyterlab/kernel.js";

const source = z.union([z.string(), z.array(z.string())]);
const cellSchema = z.looseObject({
  cell_type: z.string(),
  id: z.string().optional(),
  source: source.default(""),
  metadata: z.looseObject({ tags: z.array(z.string()).optional() }).default({}),
});
const appList = z.array(z.string());
const notebookSchema = z.looseObject({
  nbformat: z.number().int().min(4, "only nbformat 4 notebooks can run").max(4, "only nbformat 4 notebooks can run"),
  metadata: z
    .looseObject({
      mobu: z.looseObject({ required_applications: appList.optional(), required_services: appList.optional() }).optional(),
    })
    .default({}),
  cells: z.array(cellSchema),
});

/** A code cell as it will run. */
export interface CodeCell {
  /** 1-based number among the notebook's code cells. */
  number: number;
  /** Position among all cells (0-based), to write outputs back. */
  index: number;
  /** nbformat `id` (null in notebooks older than nbformat 4.5). */
  id: string | null;
  source: string;
  /** Tagged `skip-execution`: never sent to the kernel. */
  skip: boolean;
  /** Tagged `raises-exception`: an error does not fail the notebook. */
  mayRaise: boolean;
}

/** A notebook ready to run. */
export interface ParsedNotebook {
  /** The JSON as read (kept to write the executed copy). */
  raw: Record<string, unknown>;
  codeCells: CodeCell[];
  /** `metadata.mobu.required_applications` plus the older `required_services`. */
  requiredApplications: string[];
}

/** Not JSON or not an nbformat 4 notebook; the message says where. */
export class InvalidNotebookError extends Error {
  override readonly name = "InvalidNotebookError";
}

/** Parse notebook text; throws {@link InvalidNotebookError}. */
export function parseNotebook(text: string): ParsedNotebook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidNotebookError(`not JSON: ${(err as Error).message}`);
  }
  const parsed = notebookSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidNotebookError(`not an nbformat 4 notebook: ${issue.path.join(".") || "(document)"}: ${issue.message}`);
  }
  const nb = parsed.data;
  const codeCells: CodeCell[] = [];
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const tags = cell.metadata.tags ?? [];
    codeCells.push({
      number: codeCells.length + 1,
      index,
      id: cell.id ?? null,
      source: Array.isArray(cell.source) ? cell.source.join("") : cell.source,
      skip: tags.includes("skip-execution"),
      mayRaise: tags.includes("raises-exception"),
    });
  });
  const mobu = nb.metadata.mobu;
  const required = [...new Set([...(mobu?.required_applications ?? []), ...(mobu?.required_services ?? [])])];
  return { raw: raw as Record<string, unknown>, codeCells, requiredApplications: required };
}

/** What one executed cell produced. */
export interface CellResult {
  outputs: NbOutput[];
  executionCount: number | null;
}

/**
 * The executed notebook: code cells that ran carry their outputs and execution count, the
 * others none (so it shows exactly what the bot saw, up to and including a failing cell);
 * `metadata.troop` says how the run went.
 */
export function executedNotebook(nb: ParsedNotebook, results: ReadonlyMap<number, CellResult>, troop: Record<string, unknown>): string {
  const raw = nb.raw as { cells: Record<string, unknown>[]; metadata?: Record<string, unknown> };
  const cells = raw.cells.map((cell, index) => {
    if (cell["cell_type"] !== "code") return cell;
    const r = results.get(index);
    return { ...cell, outputs: r ? r.outputs : [], execution_count: r?.executionCount ?? null };
  });
  return JSON.stringify({ ...raw, metadata: { ...(raw.metadata ?? {}), troop }, cells }, null, 1) + "\n";
}

/** Plain text of outputs (streams, text/plain results, error lines), for a failure's output tail. */
export function outputText(outputs: readonly NbOutput[]): string {
  return outputs
    .map((o) => {
      switch (o.output_type) {
        case "stream":
          return o.text;
        case "error":
          return `${o.ename}: ${o.evalue}\n`;
        default: {
          const t = o.data["text/plain"];
          return typeof t === "string" ? `${t}\n` : Array.isArray(t) ? `${t.join("")}\n` : "";
        }
      }
    })
    .join("");
}
