/**
 * Running one pull-request check: the check run goes in progress, the files the pull request
 * changes are listed, the head commit is checked out, the plan is made (changed notebooks,
 * `mobu.yaml`), the notebooks run as one solitary pass of a CI bot user, and the check run
 * completes with the rendered output (annotations 50 per request). A stop (shutdown) leaves the
 * check in progress in the database, so it runs again after the restart. A pull request from a
 * fork completes neutral at once unless `github.forkPullRequests` is `run` (its head commit is
 * fetched from the base repository, which GitHub serves it from as `refs/pull/<n>/head`).
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
   * internally". The check completes in the store even when GitHub cannot be told; never throws
   * for a GitHub error.
   */
  async giveUp(job: CheckJob, reason: string): Promise<void> {
    const current = (await this.deps.store.get(job.id)) ?? job;
    const said = this.deps.scrubber.scrub(reason);
    const result: CheckResult = current.result ?? { commit: job.head_sha, notebooks: [], with_outputs: [], error: `Troop failed internally ${job.attempts} times: ${said}` };
    const output = current.result ? renderCheck(current.result, this.deps.environment) : internalFailureOutput(said, job.attempts, this.deps.environment);
    try {
      await this.report(current, output);
    } catch (err) {
      this.deps.logger.error({ check: job.id, err: this.deps.scrubber.scrub((err as Error).message) }, "could not report the check to GitHub; its check run stays in progress there");
    }
    await this.deps.store.complete(job.id, output.conclusion, result);
    this.deps.logger.warn({ check: job.id, attempts: job.attempts, conclusion: output.conclusion }, "check completed after failing inside Troop");
  }

  /** Complete the check run on GitHub with `output` (created first if missing; annotations 50 per request). */
  private async report(job: CheckJob, output: CheckOutput): Promise<void> {
    const { client } = this.deps;
    const ref = repoRef(job);
    const checkRunId = job.check_run_id ?? (await this.deps.store.get(job.id))?.check_run_id ?? (await this.createCheckRun(job));
    const [first = [], ...rest] = annotationBatches(output.annotations);
    const base = { title: output.title, summary: output.summary };
    await client.updateCheckRun(ref, checkRunId, { status: "completed", conclusion: output.conclusion, completed_at: new Date().toISOString(), output: { ...base, ...(output.text ? { text: output.text } : {}), annotations: first } });
    for (const batch of rest) await client.updateCheckRun(ref, checkRunId, { output: { ...base, annotations: batch } });
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
