/**
 * `POST /github/webhook`: a delivery is authenticated by its `X-Hub-Signature-256` (HMAC of
 * the raw body with the webhook secret, checked by `@octokit/webhooks`), then routed by
 * `X-GitHub-Event`: `push` refreshes matching notebook flocks; `pull_request`
 * opened/synchronize/reopened and `check_run`/`check_suite` rerequested queue a check (in the
 * database) and create its check run; older checks of the same pull request (or, for a
 * re-request, of the same commit) still waiting in the queue are cancelled as superseded.
 * A pull request from a fork (its head in another repository) is completed at once as not run
 * unless `github.forkPullRequests` is `run`. Other events and actions are acknowledged and ignored.
 * @module
 */
import { Webhooks, type EmitterWebhookEventName } from "@octokit/webhooks";
import type { Logger } from "pino";
import { z } from "zod";
import { ApiError } from "../../errors.js";
import type { CheckJob, WebhookResult } from "../../models/github.js";
import type { NewCheckJob, SqliteCheckStore } from "../../store/github-checks.js";
import type { AuditService } from "../audit.js";
import type { FlockManager } from "../flock-manager.js";
import type { CheckRunner } from "./check-runner.js";
import { refreshForPush } from "./push-refresh.js";

/** The deliveries Troop acts on (GitHub's event.action names). */
export const HANDLED_EVENTS = [
  "push",
  "pull_request.opened",
  "pull_request.synchronize",
  "pull_request.reopened",
  "check_run.rerequested",
  "check_suite.rerequested",
] as const satisfies readonly EmitterWebhookEventName[];

/** A repository as a pull request's head names it (null: the fork was deleted; check runs list only id, url and name). */
const headRepo = z.looseObject({ id: z.number().optional(), full_name: z.string().optional() }).nullish();
const prRef = z.looseObject({ number: z.number().int(), head: z.looseObject({ sha: z.string(), ref: z.string().nullish(), repo: headRepo }), base: z.looseObject({ sha: z.string().nullish() }).nullish() });
const payloadSchema = z.looseObject({
  action: z.string().optional(),
  installation: z.looseObject({ id: z.number().int() }).nullish(),
  organization: z.looseObject({ login: z.string() }).nullish(),
  repository: z.looseObject({
    id: z.number().optional(),
    full_name: z.string(),
    clone_url: z.string(),
    ssh_url: z.string().nullish(),
    html_url: z.string().nullish(),
    git_url: z.string().nullish(),
    owner: z.looseObject({ login: z.string() }),
  }),
  ref: z.string().optional(),
  deleted: z.boolean().optional(),
  pull_request: prRef.optional(),
  check_run: z.looseObject({ id: z.number().int(), head_sha: z.string(), pull_requests: z.array(prRef).default([]) }).optional(),
  check_suite: z.looseObject({ head_sha: z.string(), head_branch: z.string().nullish(), pull_requests: z.array(prRef).default([]) }).optional(),
});
type Payload = z.output<typeof payloadSchema>;

export interface WebhookDeps {
  secret: string;
  acceptedOrgs: readonly string[];
  manager: FlockManager;
  store: SqliteCheckStore;
  runner: Pick<CheckRunner, "createCheckRun" | "cancelCheckRun" | "skipsFork" | "skipFork">;
  /** A check was queued (resolves once the summary shows it). */
  onQueued(): Promise<void>;
  /** Where flock refreshes caused by a push are recorded (as `github:<delivery id>`). */
  audit?: Pick<AuditService, "record" | "snapshot"> | undefined;
  logger: Logger;
}

/** The headers a delivery is read from. */
export interface Delivery {
  event: string | undefined;
  id: string | undefined;
  signature: string | undefined;
  body: Buffer | string | undefined;
}

export class WebhookHandler {
  private readonly webhooks: Webhooks;
  private readonly accepted: Set<string>;

  constructor(private readonly deps: WebhookDeps) {
    this.webhooks = new Webhooks({ secret: deps.secret });
    this.accepted = new Set(deps.acceptedOrgs.map((o) => o.toLowerCase()));
  }

  /** Handle one delivery; throws ApiError 401 (signature), 403 (organisation) or 422 (payload). */
  async handle(d: Delivery): Promise<WebhookResult> {
    const text = d.body === undefined ? "" : Buffer.isBuffer(d.body) ? d.body.toString("utf8") : d.body;
    if (!d.signature || !/^sha256=[0-9a-f]{64}$/i.test(d.signature) || !(await this.webhooks.verify(text, d.signature).catch(() => false))) {
      throw new ApiError({ code: "invalid_signature", status: 401, message: "Missing or invalid X-Hub-Signature-256" });
    }
    const event = d.event ?? "(none)";
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ApiError({ code: "invalid_json", status: 400, message: "The delivery is not JSON" });
    }
    const action = typeof (raw as { action?: unknown } | null)?.action === "string" ? (raw as { action: string }).action : null;
    const name = action && event !== "push" ? `${event}.${action}` : event;
    if (!(HANDLED_EVENTS as readonly string[]).includes(name)) return { result: "ignored", event: name, detail: "event not handled" };
    const parsed = payloadSchema.safeParse(raw);
    if (!parsed.success) throw new ApiError({ code: "invalid_request", status: 422, message: `Unexpected ${name} payload`, errors: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join("."), message: i.message })) });
    const p = parsed.data;
    const owner = p.repository.owner.login;
    if (!this.accepted.has(owner.toLowerCase())) throw new ApiError({ code: "org_not_accepted", status: 403, message: `Organisation ${owner} is not accepted (github.acceptedOrgs)` });
    this.deps.logger.info({ delivery: d.id, event: name, repo: p.repository.full_name }, "github delivery");
    return event === "push" ? this.push(p, d.id) : this.queue(name, p);
  }

  private async push(p: Payload, delivery: string | undefined): Promise<WebhookResult> {
    if (!p.ref || p.deleted) return { result: "ignored", event: "push", detail: "no ref updated" };
    const r = p.repository;
    const urls = [r.clone_url, r.ssh_url, r.html_url, r.git_url].filter((u): u is string => !!u);
    const commit = typeof p["after"] === "string" ? p["after"] : null;
    const log = this.deps.audit && { audit: this.deps.audit, delivery, repository: r.full_name, commit };
    const refreshed = await refreshForPush(this.deps.manager, { urls, ref: p.ref }, log);
    return { result: "accepted", event: "push", detail: refreshed.length ? `refresh requested for ${refreshed.length} flock(s)` : "no flock runs this repository and ref", refreshed };
  }

  private async queue(name: string, p: Payload): Promise<WebhookResult> {
    if (!p.installation) return { result: "ignored", event: name, detail: "no installation in the delivery" };
    const job = await this.jobOf(p, p.installation.id);
    if (!job) return { result: "ignored", event: name, detail: "no pull request found for this check" };
    const queued = await this.deps.store.insert(job);
    try {
      await this.deps.runner.createCheckRun(queued);
    } catch (err) {
      this.deps.logger.warn({ check: queued.id, err: (err as Error).message }, "could not create the check run yet; the worker will");
    }
    await this.cancelSuperseded(queued, name.startsWith("pull_request.") ? "samePr" : "sameCommit");
    let detail = `check queued for ${job.head_sha.slice(0, 12)}`;
    if (this.deps.runner.skipsFork(queued)) {
      detail = `pull request from a fork: not run (github.forkPullRequests: skip)`;
      await this.deps.runner.skipFork(queued).catch((err: unknown) => this.deps.logger.warn({ check: queued.id, err: (err as Error).message }, "could not complete the check of a fork yet; the worker will"));
    }
    await this.deps.onQueued();
    return { result: "accepted", event: name, detail, check: queued.id };
  }

  /** A pull request's new head (or a re-request) makes its older queued checks pointless. */
  private async cancelSuperseded(newer: CheckJob, scope: "samePr" | "sameCommit"): Promise<void> {
    for (const old of await this.deps.store.supersede(newer, scope)) {
      this.deps.logger.info({ check: old.id, by: newer.id }, "queued check superseded");
      await this.deps.runner.cancelCheckRun(old, newer).catch((err: unknown) => this.deps.logger.warn({ check: old.id, err: (err as Error).message }, "could not cancel the superseded check run"));
    }
  }

  private async jobOf(p: Payload, installationId: number): Promise<NewCheckJob | null> {
    const base = { repo: p.repository.full_name, clone_url: p.repository.clone_url, installation_id: installationId };
    const fromPr = (pr: z.output<typeof prRef>, headSha = pr.head.sha): NewCheckJob => ({ ...base, head_sha: headSha, head_ref: pr.head.ref ?? null, base_sha: pr.base?.sha ?? null, pr_number: pr.number, fork: isFork(pr, p.repository) });
    const fromJob = (j: CheckJob): NewCheckJob => ({ ...base, head_sha: j.head_sha, head_ref: j.head_ref, base_sha: j.base_sha, pr_number: j.pr_number, fork: j.fork });
    if (p.pull_request) return fromPr(p.pull_request);
    if (p.check_run) {
      const known = await this.deps.store.findByCheckRun(p.check_run.id);
      if (known) return fromJob(known);
      const pr = p.check_run.pull_requests[0];
      return pr ? fromPr(pr, p.check_run.head_sha) : null;
    }
    if (p.check_suite) {
      const pr = p.check_suite.pull_requests[0];
      if (pr) return fromPr(pr, p.check_suite.head_sha);
      const known = await this.deps.store.latestForCommit(p.repository.full_name, p.check_suite.head_sha);
      return known ? fromJob(known) : null;
    }
    return null;
  }
}

/**
 * True when a pull request's head is in another repository than its base: a fork (also when
 * GitHub no longer names the head repository, a deleted fork). The clone URL stays the base
 * repository's: GitHub serves a fork's head commits from it (`refs/pull/<n>/head`).
 */
export function isFork(pr: z.output<typeof prRef>, base: Payload["repository"]): boolean {
  const head = pr.head.repo;
  if (head === null) return true;
  if (head?.full_name !== undefined) return head.full_name.toLowerCase() !== base.full_name.toLowerCase();
  return head?.id !== undefined && base.id !== undefined && head.id !== base.id;
}
