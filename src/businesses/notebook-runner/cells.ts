/**
 * Running the code cells of one notebook in an open kernel session: one `execute_cell` phase
 * per cell, bounded by `cell_timeout` and by what is left of `notebook_timeout` (on either,
 * the kernel is interrupted); `skip-execution` cells are not sent, `raises-exception` cells
 * may raise. After a timeout, phase `interrupt_kernel` interrupts the kernel and waits until
 * it answers again (the interrupted cell is over); the log says whether it did. A failure
 * names the notebook, the 1-based code-cell number and id, and carries the source, traceback
 * and output tail. The executed notebook is handed over in every case.
 * @module
 */
import { KernelExecutionError, type OutputCollector } from "../../clients/jupyterlab/kernel.js";
import { CodeExecutionError, formatMs, MonkeyError, type MonkeyContext } from "../../errors.js";
import type { NotebookRun } from "../../models/execution.js";
import { executionId, StoppedError } from "../base.js";
import type { OpenSession } from "../jupyter-lab/base.js";
import type { LineLogger } from "../types.js";
import { executedNotebook, outputText, type CellResult, type CodeCell, type ParsedNotebook } from "./notebook.js";
import type { NotebookRunnerOptions } from "./options.js";

const OUTPUT_TAIL = 2000;

/** Where a notebook run is, for progress displays. */
export interface NotebookProgress {
  notebook: string;
  /** 1-based code-cell number running now. */
  cell: number;
  cells: number;
  startedAt: number;
}

/** What {@link executeCells} needs from its business. */
export interface CellRunContext {
  nb: ParsedNotebook;
  path: string;
  record: NotebookRun;
  session: OpenSession;
  options: NotebookRunnerOptions;
  phase<T>(name: string, limitMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  pause(ms: number): Promise<boolean>;
  interrupt(): Promise<void>;
  annotateError(fields: { notebook?: string; cell_number?: number; cell_id?: string | null; output_tail?: string }): void;
  onProgress(p: NotebookProgress): void;
  saveArtifact(content: string, id: string): Promise<void>;
  context: MonkeyContext;
  meta: Record<string, unknown>;
  log: LineLogger;
}

/** Run every code cell in order; throws the first failure (a MonkeyError). */
export async function executeCells(c: CellRunContext): Promise<void> {
  const { nb, options } = c;
  const started = Date.now();
  const deadline = started + options.notebook_timeout;
  const results = new Map<number, CellResult>();
  let failedCell = null as CodeCell | null;
  let failure = null as MonkeyError | null;
  try {
    let first = true;
    for (const cell of nb.codeCells) {
      if (cell.skip) continue;
      if (!first && options.execution_idle_time > 0 && !(await c.pause(options.execution_idle_time))) throw new StoppedError();
      first = false;
      c.onProgress({ notebook: c.path, cell: cell.number, cells: nb.codeCells.length, startedAt: started });
      try {
        await runCell(c, cell, deadline, results);
      } catch (err) {
        failedCell = cell;
        if (err instanceof MonkeyError) failure = err;
        throw err;
      }
    }
  } finally {
    const troop = {
      notebook: c.path,
      repo_url: c.record.repo_url,
      repo_ref: c.record.repo_ref,
      commit: c.record.commit,
      result: failedCell ? "failure" : "success",
      failed_cell: failedCell ? { number: failedCell.number, id: failedCell.id } : null,
      error: failure?.message ?? null,
      started_at: new Date(started).toISOString(),
      duration_ms: Date.now() - started,
      ...c.meta,
    };
    await c.saveArtifact(executedNotebook(nb, results, troop), executionId(new Date(started)));
  }
}

async function runCell(c: CellRunContext, cell: CodeCell, deadline: number, results: Map<number, CellResult>): Promise<void> {
  const { options, path } = c;
  const remaining = deadline - Date.now();
  const byNotebook = remaining < options.cell_timeout;
  const collect: OutputCollector = { outputs: [], executionCount: null };
  const start = Date.now();
  const where = `${path}, code cell ${cell.number}${cell.id ? ` (id ${cell.id})` : ""}`;
  try {
    if (remaining <= 0) throw notebookTimeout(c, where);
    await c.phase("execute_cell", remaining < options.cell_timeout ? remaining : options.cell_timeout, (s) => c.session.kernel.execute(cell.source, s, { collect }));
    results.set(cell.index, collect);
    c.record.cells.push({ number: cell.number, id: cell.id, duration_ms: Date.now() - start, ok: true });
  } catch (err) {
    const cause = err instanceof MonkeyError ? err.cause : err;
    const raised = cause instanceof KernelExecutionError ? cause : null;
    results.set(cell.index, collect);
    if (raised && cell.mayRaise) {
      c.record.cells.push({ number: cell.number, id: cell.id, duration_ms: Date.now() - start, ok: true });
      return;
    }
    c.record.cells.push({ number: cell.number, id: cell.id, duration_ms: Date.now() - start, ok: false });
    c.annotateError({ notebook: path, cell_number: cell.number, cell_id: cell.id, output_tail: outputText(collect.outputs).slice(-OUTPUT_TAIL) });
    throw await describe(c, err, raised, cell, where, byNotebook);
  }
}

/** The failure as recorded: located, with the cell's source as `code`. */
async function describe(c: CellRunContext, err: unknown, raised: KernelExecutionError | null, cell: CodeCell, where: string, byNotebook: boolean): Promise<unknown> {
  if (raised) {
    const e = new CodeExecutionError({ phase: "execute_cell", code: cell.source, ename: raised.ename, evalue: raised.evalue, traceback: raised.traceback, context: c.context });
    e.message = `${where}: ${e.message}`;
    return e;
  }
  if (!(err instanceof MonkeyError)) return err;
  if (err.failureClass === "timeout" && err.phase === "execute_cell") {
    await interruptKernel(c, where);
    const limit = byNotebook ? `notebook_timeout ${formatMs(c.options.notebook_timeout)}` : `cell_timeout ${formatMs(c.options.cell_timeout)}`;
    return new MonkeyError({ phase: "execute_cell", failureClass: "timeout", message: `${where}: timed out after ${limit}`, context: c.context, cause: err, code: cell.source });
  }
  err.message = `${where}: ${err.message}`;
  err.code = cell.source;
  return err;
}

function notebookTimeout(c: CellRunContext, where: string): MonkeyError {
  return new MonkeyError({ phase: "execute_cell", failureClass: "timeout", message: `${where}: timed out after notebook_timeout ${formatMs(c.options.notebook_timeout)}`, context: c.context });
}

/** Empty requests sent after an interrupt before giving up on the kernel. */
const PROBES = 3;

/**
 * Phase `interrupt_kernel` (bounded by `jupyter_timeout`): interrupt the kernel, then run an
 * empty request, which the kernel answers only once the interrupted cell is over. A request
 * queued behind the interrupted cell is answered `aborted` (ipykernel drops its queue after an
 * error), so it is asked again until it succeeds. Best effort: the notebook's failure is the
 * timeout either way, and the log says what became of the kernel.
 */
async function interruptKernel(c: CellRunContext, where: string): Promise<void> {
  const start = Date.now();
  try {
    await c.phase("interrupt_kernel", c.options.jupyter_timeout, async (signal) => {
      await c.interrupt();
      for (let probe = 1; ; probe++) {
        try {
          return await c.session.kernel.execute("", signal, { storeHistory: false });
        } catch (err) {
          if (!(err instanceof KernelExecutionError) || probe >= PROBES) throw err;
        }
      }
    });
    c.log.info(`${where}: kernel interrupted, idle again after ${formatMs(Date.now() - start)}`);
  } catch (err) {
    c.log.warn(`${where}: kernel interrupted, but it did not answer afterwards: ${(err as Error).message}`);
  }
}
