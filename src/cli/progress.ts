/**
 * Progress of `troop run-notebooks`: on a terminal, one bar redrawn in place (notebook n/N,
 * current cell, elapsed) with each result printed above it; otherwise plain lines, one per
 * notebook. Then a closing table of notebook, result, duration and failing cell.
 * @module
 */
import type { Execution } from "../models/execution.js";

/** What runs now. */
export interface ProgressState {
  notebook: string;
  cell: number | null;
  cells: number | null;
}

/** Something to write to (process.stdout, or a buffer in tests). */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const WIDTH = 24;

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** One result line: `[2/9] FAIL fail.ipynb (3.1 s): …`. */
export function resultLine(index: number, total: number, path: string, r: Execution): string {
  const verdict = r.result === "success" ? "PASS" : r.result === "skipped" ? "SKIP" : "FAIL";
  const why = r.result === "failure" ? `: ${r.error?.message ?? ""}` : r.result === "skipped" ? `: ${r.note ?? ""}` : "";
  return `[${index}/${total}] ${verdict} ${path} (${(r.duration_ms / 1000).toFixed(1)} s)${why}`;
}

/** Draws progress; call `result` after each notebook and `stop` at the end. */
export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private done = 0;
  private readonly started = Date.now();

  constructor(
    private readonly out: Output,
    private readonly total: number,
    private readonly current: () => ProgressState | null,
  ) {
    if (out.isTTY) {
      this.timer = setInterval(() => this.draw(), 250);
      this.draw();
    }
  }

  result(path: string, r: Execution): void {
    this.done++;
    const line = resultLine(this.done, this.total, path, r);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}\n`);
      this.draw();
    } else {
      this.out.write(`${line}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.out.isTTY) this.out.write("\r\x1b[2K");
  }

  private draw(): void {
    const filled = this.total ? Math.round((WIDTH * this.done) / this.total) : WIDTH;
    const bar = `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}]`;
    const now = this.current();
    const where = now ? `  ${now.notebook}${now.cell ? `  cell ${now.cell}/${now.cells}` : ""}` : "";
    const line = `${bar} ${Math.min(this.done + 1, this.total)}/${this.total}${where}  ${elapsed(Date.now() - this.started)}`;
    const cols = this.out.columns || 100;
    this.out.write(`\r\x1b[2K${line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line}`);
  }
}

/** The closing table. */
export function resultTable(rows: { path: string; record: Execution }[]): string {
  const body = rows.map(({ path, record: r }) => [
    path,
    r.result === "success" ? "pass" : r.result === "skipped" ? "skipped" : "FAIL",
    `${(r.duration_ms / 1000).toFixed(1)} s`,
    r.result === "failure" ? (r.error?.cell_number ? `${r.error.cell_number}${r.error.cell_id ? ` (${r.error.cell_id})` : ""}` : `- (${r.error?.phase ?? "?"})`) : "",
  ]);
  const head = ["NOTEBOOK", "RESULT", "DURATION", "FAILING CELL"];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
