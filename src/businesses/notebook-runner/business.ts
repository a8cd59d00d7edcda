/**
 * The notebook runners. One iteration runs one notebook of a Git repository: phases
 * `clone_repo` and `find_notebooks` when the checkout is new (or after a refresh), then
 * `read_notebook`, a kernel session named after the notebook, and `execute_cell` per code
 * cell. Each iteration's record carries the notebook, its commit, per-cell durations and the
 * id of the executed notebook kept as an artifact. The three variants differ only in when a
 * lab *cycle* ends (then, with `delete_lab`, the lab is deleted and `idle_time` applies):
 * Counting after `max_executions` notebooks, List after every selected notebook once,
 * Infinite never.
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { GitError, redactUrl } from "../../clients/git.js";
import { formatMs, MonkeyError } from "../../errors.js";
import type { NotebookRun } from "../../models/execution.js";
import type { RepoLease } from "../../store/repo-cache.js";
import { LabBusiness, type OpenSession } from "../jupyter-lab/base.js";
import type { BusinessContext, NotebookResources } from "../types.js";
import { executeCells, type NotebookProgress } from "./cells.js";
import { InvalidNotebookError, parseNotebook, type ParsedNotebook } from "./notebook.js";
import type { NotebookRunnerOptions } from "./options.js";
import { missingApplications, RepoConfigError, selectNotebooks } from "./selection.js";

/** When a lab cycle ends. */
export type RunnerMode = "counting" | "list" | "infinite";

/** Bound on phase `clone_repo`. */
export const CLONE_TIMEOUT_MS = 10 * 60_000;
/** Longest wait between two attempts after clone or selection failures. */
const MAX_BACKOFF_MS = 10 * 60_000;

export class NotebookRunner extends LabBusiness<NotebookRunnerOptions> {
  /** What runs now (for progress displays); null between notebooks. */
  progress: NotebookProgress | null = null;
  private readonly resources: NotebookResources;
  private lease: RepoLease | null = null;
  private selection: string[] | null = null;
  private queue: string[] = [];
  private inCycle = 0;
  private ranInPass = false;
  private cycleEnded = false;
  private refreshWanted = false;
  private setupFailures = 0;

  constructor(
    ctx: BusinessContext<NotebookRunnerOptions>,
    readonly mode: RunnerMode,
  ) {
    super(ctx);
    if (!ctx.notebooks) throw new Error("notebook runners need the repository cache (NotebookResources)");
    this.resources = ctx.notebooks;
  }

  /** The notebooks selected in the current checkout (empty before the first clone). */
  get selected(): readonly string[] {
    return this.selection ?? [];
  }

  override requestRefresh(): boolean {
    this.refreshWanted = true;
    this.resources.repos.invalidate(this.options.repo_url, this.options.repo_ref);
    return true;
  }

  override get refreshing(): boolean {
    return this.refreshWanted;
  }

  protected async execute(): Promise<void> {
    this.cycleEnded = false;
    await this.ensureCheckout();
    const selection = this.selection!;
    if (selection.length === 0) {
      this.cycleEnded = true;
      this.markSkipped(`no notebook selected in ${redactUrl(this.options.repo_url)} at ${this.options.repo_ref} (${this.lease?.commit ?? "no commit"})`);
      return;
    }
    if (this.queue.length === 0) {
      this.queue = this.mode === "list" ? [...selection] : shuffle(selection, () => this.random());
      this.ranInPass = false;
    }
    const path = this.queue.shift()!;
    this.inCycle++;
    const passEnded = this.queue.length === 0;
    const ran = await this.runNotebook(path);
    this.ranInPass ||= ran;
    const cycleEnd =
      this.mode === "counting" ? this.inCycle >= (this.options.max_executions ?? 25) : this.mode === "list" ? passEnded : passEnded && !this.ranInPass;
    if (!cycleEnd) return;
    this.cycleEnded = true;
    this.inCycle = 0;
    if (this.mode !== "infinite" && this.options.delete_lab) await this.deleteLab();
  }

  protected override idleAfter(ok: boolean): { ms: number; phase: string } {
    if (!ok && this.setupFailures > 0) return { ms: this.setupBackoffMs(), phase: "error_idle" };
    if (ok && !this.cycleEnded) return { ms: this.options.notebook_idle_time, phase: "notebook_idle" };
    return super.idleAfter(ok);
  }

  /** The wait after the latest of `setupFailures` clone or selection failures in a row: `error_idle_time` (at least 1 s) doubled per failure, capped. */
  private setupBackoffMs(): number {
    const base = Math.max(this.options.error_idle_time, 1000);
    return Math.min(base * 2 ** (this.setupFailures - 1), Math.max(MAX_BACKOFF_MS, base));
  }

  /** Phases `clone_repo` and `find_notebooks`, when there is no usable checkout or a refresh is due. */
  private async ensureCheckout(): Promise<void> {
    if (this.lease && this.selection && !this.refreshWanted) return;
    try {
      if (!this.lease || this.refreshWanted) {
        const refresh = this.refreshWanted;
        this.refreshWanted = false; // a refresh requested while cloning sets it again
        const { repo_url: url, repo_ref: ref } = this.options;
        const lease = await this.phase("clone_repo", CLONE_TIMEOUT_MS, async (signal) => {
          try {
            return await this.resources.repos.acquire(url, ref, signal);
          } catch (err) {
            this.refreshWanted ||= refresh; // keep the current checkout, try the refresh again next time
            if (err instanceof GitError) throw new MonkeyError({ phase: "clone_repo", failureClass: "repo_error", message: err.message, context: this.context(), cause: err });
            throw err;
          }
        });
        this.lease?.release();
        this.lease = lease;
        this.selection = null;
        this.ctx.log.info(`using ${redactUrl(url)} at ${ref}: commit ${lease.commit ?? "(none)"}`);
      }
      const dir = this.lease.dir;
      this.selection = await this.phase("find_notebooks", this.options.jupyter_timeout, async () => {
        try {
          return await selectNotebooks(dir, this.options);
        } catch (err) {
          if (err instanceof RepoConfigError) throw new MonkeyError({ phase: "find_notebooks", failureClass: "repo_error", message: err.message, context: this.context(), cause: err });
          throw err;
        }
      });
      this.queue = [];
      if (this.selection.length === 0) this.ctx.log.warn("no notebook selected after filtering");
      this.setupFailures = 0;
    } catch (err) {
      this.setupFailures++;
      if (!this.stopping) this.ctx.log.warn(`no usable checkout of ${redactUrl(this.options.repo_url)} at ${this.options.repo_ref} (${this.setupFailures} failure${this.setupFailures === 1 ? "" : "s"} in a row); next attempt in ${formatMs(this.setupBackoffMs())}`);
      throw err;
    }
  }

  /** Run one notebook; returns false when it was skipped. */
  private async runNotebook(path: string): Promise<boolean> {
    const lease = this.lease!;
    const record: NotebookRun = { path, repo_url: redactUrl(this.options.repo_url), repo_ref: this.options.repo_ref, commit: lease.commit, cells: [] };
    this.annotate({ notebook: record });
    this.annotateError({ notebook: path });
    const nb = await this.phase("read_notebook", this.options.jupyter_timeout, () => this.readNotebook(lease.dir, path));
    const missing = missingApplications(nb.requiredApplications, this.resources.availableApplications);
    if (missing.length > 0) {
      this.markSkipped(`${path} requires ${missing.join(", ")}, which this deployment does not have`);
      return false;
    }
    this.ctx.log.info(`running ${path} (${nb.codeCells.length} code cells, commit ${lease.commit ?? "none"})`);
    const session = await this.openSession(path, "notebook");
    let failed = true;
    try {
      await executeCells({
        nb,
        path,
        record,
        session,
        options: this.options,
        phase: (name, limit, fn) => this.phase(name, limit, fn),
        pause: (ms) => this.pause(ms, "execution_idle"),
        interrupt: () => this.interrupt(session),
        annotateError: (fields) => this.annotateError(fields),
        onProgress: (p) => (this.progress = p),
        saveArtifact: (content, id) => this.saveArtifact(content, id, path),
        context: this.context(),
        meta: { flock: this.ctx.identity.flock, monkey: this.ctx.identity.monkey },
        log: this.ctx.log,
      });
      failed = false;
    } finally {
      this.progress = null;
      await this.endSession(session, failed);
    }
    this.ctx.log.info(`${path} succeeded`);
    return true;
  }

  /** Phase `delete_session`; after a failure, errors are not raised (the notebook's are). */
  private async endSession(session: OpenSession, failed: boolean): Promise<void> {
    try {
      await this.closeSession(session);
    } catch (err) {
      if (!failed) throw err;
      // a kernel that just died is restarting, and jupyter-server refuses to delete its session for a moment
      if (await this.pause(2000)) await this.closeSession(session).catch(() => undefined);
    }
  }

  private async readNotebook(dir: string, path: string): Promise<ParsedNotebook> {
    try {
      return parseNotebook(await readFile(join(dir, path), "utf8"));
    } catch (err) {
      const message = `${path}: ${err instanceof InvalidNotebookError ? err.message : `cannot read: ${(err as Error).message}`}`;
      throw new MonkeyError({ phase: "read_notebook", failureClass: "invalid_notebook", message, context: this.context(), cause: err });
    }
  }

  private async saveArtifact(content: string, id: string, path: string): Promise<void> {
    const sink = this.resources.artifacts;
    if (!sink) return;
    try {
      const saved = await sink.save(content, { id, name: path });
      if (saved) this.annotate({ artifact: saved });
    } catch (err) {
      this.ctx.log.warn(`could not keep the executed notebook: ${(err as Error).message}`);
    }
  }

  protected override async close(): Promise<void> {
    this.lease?.release();
    this.lease = null;
    await super.close();
  }
}

/** A shuffled copy (Fisher–Yates). */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
