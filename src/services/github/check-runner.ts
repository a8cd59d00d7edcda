/**
 * Running one pull-request check: the check run goes in progress, the files the pull request
 * changes are listed, the head commit is checked out, the plan is made (changed notebooks,
 * `mobu.yaml`), the notebooks run as one solitary pass of a CI bot user, and the check run
 * completes with the rendered output (annotations 50 per request). A stop (shutdown) leaves the
 * check in progress in the database, so it runs again after the restart. A pull request from a
 * fork completes neutral at once unless `github.forkPullRequests` is `run` (its head commit is
 * fetched from the base repository, which GitHub serves it from as `refs/pull/<n>/head`).
 * A check completed although its final report to GitHub failed keeps that report pending; the
 * queue has it delivered again (back-off from `retryDelay`, at most {@link MAX_REPORT_DELAY_MS})
 * for `github.reportRetryFor` from the first failed delivery.
 * @module
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { NotebookResources } from "../../businesses/types.js";
import type { GitHubClient, RepoRef } from "../../clients/github.js";
import type { HttpClient } from "../../clients/http.js";
import type { BotUser, Platform } from "../../clients/hub/types.js";
import type { GitHubConfig } from "../../config/github-schema.js";
import type { CheckJob, CheckResult } from "../../models/github.js";
import type { SqliteCheckStore } from "../../store/github-checks.js";
import { shallowCheckout } from "../../clients/git.js";
import { RepoCache } from "../../store/repo-cache.js";
import { NotebookPass } from "../notebook-pass.js";
import type { SecretScrubber } from "../secrets.js";
import { planCheck } from "./check-plan.js";
import { annotationBatches, checkResult, forkSkippedOutput, internalFailureOutput, renderCheck, type CheckOutput } from "./check-output.js";

export interface CheckRunnerDeps {
  github: GitHubConfig;
  /** `Troop (<environment>)`. */
  checkName: string;
  environment: string;
  client: GitHubClient;
  store: SqliteCheckStore;
  platform: Platform;
  http: HttpClient;
  logger: Logger;
  scrubber: SecretScrubber;
  /** Executed notebooks and available applications. */
  notebooks: Omit<NotebookResources, "repos">;
  /** Folder of the checkouts of running checks (each check's is deleted when it ends). */
  checkoutRoot: string;
}

/** Longest wait between two deliveries of a pending report. */
export const MAX_REPORT_DELAY_MS = 3_600_000;
/** Shortest wait between two deliveries of a pending report (a `retryDelay` of 0 must not hammer GitHub). */
const MIN_REPORT_DELAY_MS = 100;

/** Wait before the next delivery of a pending report after `failures` failed deliveries: `retryDelayMs` doubled per failure, capped. */
export function reportBackoffMs(failures: number, retryDelayMs: number): number {
  return Math.min(MAX_REPORT_DELAY_MS, Math.max(MIN_REPORT_DELAY_MS, retryDelayMs) * 2 ** Math.max(0, failures - 1));
}

/** The check was stopped by a shutdown; it stays in progress and runs again at start. */
export class CheckStopped extends Error {
  override readonly name = "CheckStopped";
}

export class CheckRunner {
  constructor(private readonly deps: CheckRunnerDeps) {}

  /** Create the GitHub check run of a queued check (status queued); returns its id. */
  async createCheckRun(job: CheckJob): Promise<number> {
    const id = await this.deps.client.createCheckRun(repoRef(job), { name: this.deps.checkName, headSha: job.head_sha, externalId: String(job.id) });
    await this.deps.store.setCheckRun(job.id, id);
    return id;
  }

  /** Complete the check run of a check cancelled while queued, naming the check that replaces it. */
  async cancelCheckRun(job: CheckJob, by: CheckJob): Promise<void> {
    if (job.check_run_id === null) return;
    const summary = `Not run: superseded by the check of ${by.head_sha.slice(0, 12)}${by.pr_number !== null ? ` (pull request #${by.pr_number})` : ""}, queued while this one was still waiting.`;
    await this.deps.client.updateCheckRun(repoRef(job), job.check_run_id, { status: "completed", conclusion: "cancelled", completed_at: new Date().toISOString(), output: { title: "Superseded", summary } });
  }

  /** True when `job` is a pull request from a fork and `github.forkPullRequests` is `skip`. */
  skipsFork(job: Pick<CheckJob, "fork">): boolean {
    return job.fork && this.deps.github.forkPullRequests === "skip";
  }

  /** Complete the check of a fork's pull request as not run (neutral), at once: no lab, no checkout. */
  async skipFork(job: CheckJob): Promise<void> {
    const output = forkSkippedOutput(this.deps.environment);
    await this.report(job, output);
    await this.deps.store.complete(job.id, output.conclusion, null);
    this.deps.logger.info({ check: job.id, repo: job.repo, pr: job.pr_number }, "pull request from a fork not run (github.forkPullRequests: skip)");
  }

  /**
   * Run a claimed check to completion (or throw {@link CheckStopped} when `signal` aborts). The
   * result is stored before it is reported; when storing or reporting fails this throws, and the
   * next attempt only reports the stored result.
   */
  async run(job: CheckJob, user: BotUser, signal: AbortSignal): Promise<void> {
    if (this.skipsFork(job)) return this.skipFork(job);
    const { client, logger } = this.deps;
    const log = logger.child({ check: job.id, repo: job.repo, sha: job.head_sha.slice(0, 12), pr: job.pr_number, user: user.username });
    const ref = repoRef(job);
    let result: CheckResult;
    if (job.result) {
      log.info("reporting the result of an earlier attempt");
      result = job.result;
    } else if (job.attempts > this.deps.github.maxAttempts) {
      result = { commit: job.head_sha, notebooks: [], with_outputs: [], error: `gave up after ${job.attempts - 1} attempts (Troop stopped while the check ran)` };
    } else {
      try {
        const checkRunId = job.check_run_id ?? (await this.createCheckRun(job));
        await client.updateCheckRun(ref, checkRunId, { status: "in_progress", started_at: new Date().toISOString() });
        result = await this.execute(job, user, signal, log);
      } catch (err) {
        if (signal.aborted) throw new CheckStopped(`check ${job.id} stopped`, { cause: err });
        const message = this.deps.scrubber.scrub((err as Error).message ?? String(err));
        log.warn({ err: message }, "check could not run");
        result = { commit: job.head_sha, notebooks: [], with_outputs: [], error: message };
      }
      if (signal.aborted) throw new CheckStopped(`check ${job.id} stopped`);
      await this.deps.store.saveResult(job.id, result);
    }
    if (signal.aborted) throw new CheckStopped(`check ${job.id} stopped`);
    const output = renderCheck(result, this.deps.environment);
    await this.report(job, output);
    await this.deps.store.complete(job.id, output.conclusion, result);
    log.info({ conclusion: output.conclusion, notebooks: result.notebooks.length }, "check completed");
  }

  /**
   * Complete a check that failed inside Troop on every attempt (`reason`: the last error): its
   * stored result when there is one (only reporting it failed), otherwise "Troop failed
   * internally". The check completes in the store even when GitHub cannot be told: its report
   * is then left pending, for {@link deliverReport}. Never throws for a GitHub error.
   */
  async giveUp(job: CheckJob, reason: string): Promise<void> {
    const current = (await this.deps.store.get(job.id)) ?? job;
    const said = this.deps.scrubber.scrub(reason);
    const result: CheckResult = current.result ?? { commit: job.head_sha, notebooks: [], with_outputs: [], error: `Troop failed internally ${job.attempts} times: ${said}`, internal: { attempts: job.attempts, reason: said } };
    const output = this.finalOutput(result);
    let reportDue: Date | null = null;
    try {
      await this.report(current, output);
    } catch (err) {
      const retryInMs = reportBackoffMs(1, this.deps.github.retryDelay);
      reportDue = new Date(Date.now() + retryInMs);
      this.deps.logger.error({ check: job.id, retryInMs, err: this.deps.scrubber.scrub((err as Error).message) }, "could not report the check to GitHub; its report is pending and delivered again later");
    }
    await this.deps.store.complete(job.id, output.conclusion, result, reportDue);
    this.deps.logger.warn({ check: job.id, attempts: job.attempts, conclusion: output.conclusion }, "check completed after failing inside Troop");
  }

  /**
   * Deliver the pending report of a completed check (see {@link giveUp}): the output rendered
   * again from the stored result. Delivered, the mark is cleared; failed, the next delivery is
   * due after a back-off, or, `github.reportRetryFor` after the first failed delivery (when the
   * check completed), Troop stops trying and logs it. A failure while `signal` is aborted (Troop
   * stops) leaves the report due, for the next start. Never throws for a GitHub error.
   */
  async deliverReport(job: CheckJob, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const { logger, scrubber, store, github } = this.deps;
    const output = this.finalOutput(job.result ?? { commit: job.head_sha, notebooks: [], with_outputs: [], error: "Troop lost the result of this check" });
    try {
      await this.report(job, output);
    } catch (err) {
      const said = scrubber.scrub((err as Error).message ?? String(err));
      if (signal.aborted) return void logger.warn({ check: job.id, err: said }, "could not deliver the check's pending report while Troop stops; it is delivered at the next start");
      const failures = job.report_attempts + 1;
      const deadline = Date.parse(job.completed_at ?? job.updated_at) + github.reportRetryFor;
      const now = Date.now();
      if (now >= deadline) {
        await store.reportFailed(job.id, null);
        logger.error({ check: job.id, attempts: failures, reportRetryForMs: github.reportRetryFor, err: said }, "gave up reporting the check to GitHub after github.reportRetryFor; its check run stays in progress there (Re-run queues a new check)");
      } else {
        const next = Math.min(now + reportBackoffMs(failures, github.retryDelay), deadline);
        await store.reportFailed(job.id, new Date(next));
        logger.warn({ check: job.id, attempt: failures, retryInMs: next - now, err: said }, "could not deliver the check's pending report to GitHub; trying again later");
      }
      return;
    }
    await store.reportDelivered(job.id);
    logger.info({ check: job.id, conclusion: output.conclusion, failedDeliveries: job.report_attempts }, "pending report of the check delivered to GitHub");
  }

  /** The output that completes a check Troop gave up on: its result rendered, or "Troop failed internally" when the result says so. */
  private finalOutput(result: CheckResult): CheckOutput {
    return result.internal ? internalFailureOutput(result.internal.reason, result.internal.attempts, this.deps.environment) : renderCheck(result, this.deps.environment);
  }

  /**
   * Complete the check run on GitHub with `output` (created first if missing; annotations 50 per
   * request, the first 50 with the completion). Throws only when the completion itself failed.
   */
  private async report(job: CheckJob, output: CheckOutput): Promise<void> {
    const { client } = this.deps;
    const ref = repoRef(job);
    const checkRunId = job.check_run_id ?? (await this.deps.store.get(job.id))?.check_run_id ?? (await this.createCheckRun(job));
    const [first = [], ...rest] = annotationBatches(output.annotations);
    const base = { title: output.title, summary: output.summary };
    await client.updateCheckRun(ref, checkRunId, { status: "completed", conclusion: output.conclusion, completed_at: new Date().toISOString(), output: { ...base, ...(output.text ? { text: output.text } : {}), annotations: first } });
    // The check run is completed now: a batch of further annotations that fails is logged, not
    // thrown, so that no retry completes it again and appends the batches GitHub already took.
    for (const [i, batch] of rest.entries()) {
      try {
        await client.updateCheckRun(ref, checkRunId, { output: { ...base, annotations: batch } });
      } catch (err) {
        const left = rest.slice(i).reduce((n, b) => n + b.length, 0);
        this.deps.logger.warn({ check: job.id, annotationsLeft: left, err: this.deps.scrubber.scrub((err as Error).message) }, "check run completed on GitHub, but its remaining annotations could not be added");
        return;
      }
    }
  }

  private async execute(job: CheckJob, user: BotUser, signal: AbortSignal, log: Logger): Promise<CheckResult> {
    const { client, notebooks, scrubber, github } = this.deps;
    const ref = repoRef(job);
    const changed = job.pr_number !== null ? await client.pullRequestFiles(ref, job.pr_number) : job.base_sha ? await client.compareFiles(ref, job.base_sha, job.head_sha) : [{ filename: "mobu.yaml", status: "modified" }];
    const url = job.clone_url;
    const header = tokenHeader(await client.installationToken(job.installation_id));
    const folder = join(this.deps.checkoutRoot, `check-${job.id}-${Date.now()}`);
    const repos = new RepoCache(folder, (o) => shallowCheckout({ ...o, header }));
    const lease = await repos.acquire(url, job.head_sha, signal).catch(async (err: unknown) => {
      await rm(folder, { recursive: true, force: true });
      throw err;
    });
    try {
      const plan = await planCheck(lease.dir, changed);
      log.info({ run: plan.run.length, skipped: plan.skipped.length, configChanged: plan.configChanged }, "check planned");
      const line = (level: "debug" | "info" | "warn" | "error") => (msg: string) => log[level](msg); // lines come scrubbed by the pass
      const pass = new NotebookPass({
        platform: this.deps.platform,
        http: this.deps.http,
        user: { ...user, scopes: github.scopes },
        url,
        ref: job.head_sha,
        cellTimeoutMs: github.cellTimeout,
        notebookTimeoutMs: github.notebookTimeout,
        only: plan.run,
        notebooks: { ...notebooks, repos },
        log: { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") },
        scrub: (t) => scrubber.scrubOutput(t),
      });
      const stop = () => void pass.stop();
      signal.addEventListener("abort", stop, { once: true });
      try {
        await pass.run(plan.run.length);
      } finally {
        signal.removeEventListener("abort", stop);
      }
      return checkResult(lease.commit, plan, pass.records);
    } finally {
      lease.release();
      await rm(folder, { recursive: true, force: true });
    }
  }
}

/** Owner, name and installation of a check's repository. */
export function repoRef(job: Pick<CheckJob, "repo" | "installation_id">): RepoRef {
  const [owner = "", repo = ""] = job.repo.split("/");
  return { installationId: job.installation_id, owner, repo };
}

/** The HTTP header that lets git fetch over https with an installation token (GitHub's documented form). */
export function tokenHeader(token: string): string {
  return `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
}
