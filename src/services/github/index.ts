/**
 * Assembly of the GitHub integration, called once by the composition root when
 * `github.enabled`: the client (Octokit against `github.apiUrl`), the check store on the
 * flocks' database, the runner, the queue worker and the webhook handler; plus the CI part of
 * `GET /summary`, kept in memory and refreshed whenever the queue changes.
 * @module
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { NotebookResources } from "../../businesses/types.js";
import { GitHubClient } from "../../clients/github.js";
import type { HttpClient } from "../../clients/http.js";
import type { Platform } from "../../clients/hub/types.js";
import { checkRunName } from "../../config/github-schema.js";
import type { ServiceConfig } from "../../config/schema.js";
import type { CheckJob, GitHubSummary } from "../../models/github.js";
import type { ArtifactSink } from "../../store/artifacts.js";
import { SqliteCheckStore } from "../../store/github-checks.js";
import type { AuditService } from "../audit.js";
import type { FlockManager } from "../flock-manager.js";
import type { SecretScrubber } from "../secrets.js";
import { CheckQueue } from "./check-queue.js";
import { CheckRunner } from "./check-runner.js";
import { WebhookHandler } from "./webhook.js";

export interface GitHubDeps {
  config: Readonly<ServiceConfig>;
  /** The flocks' database (table github_checks). */
  db: Kysely<unknown>;
  manager: FlockManager;
  platform: Platform;
  http: HttpClient;
  logger: Logger;
  scrubber: SecretScrubber;
  dataDir: string;
  artifacts: ArtifactSink | null;
  /** As the flocks see them (`notebooks.availableApplications` of the container). */
  availableApplications: NotebookResources["availableApplications"];
  userAgent: string;
  /** The audit log, where refreshes caused by a push are recorded. */
  audit?: AuditService;
}

/** The integration as the container holds it. */
export interface GitHubIntegration {
  webhook: WebhookHandler;
  queue: CheckQueue;
  store: SqliteCheckStore;
  /** The `github` field of `GET /summary` (from memory). */
  summary(): GitHubSummary;
  /** Queue again what was left in progress and start the worker. */
  start(): Promise<void>;
  /** Stop running checks (they run again at the next start). */
  close(timeoutMs: number): Promise<void>;
}

export function createGitHub(deps: GitHubDeps): GitHubIntegration {
  const { config, logger, scrubber } = deps;
  const gh = config.github;
  scrubber.add(gh.webhookSecret);
  scrubber.add(gh.privateKey);
  const log = logger.child({ component: "github" });
  const client = new GitHubClient({ appId: gh.appId!, privateKey: gh.privateKey!, apiUrl: gh.apiUrl, userAgent: deps.userAgent, onSecret: (s) => scrubber.add(s), warn: (m) => log.warn(scrubber.scrub(m)) });
  const store = new SqliteCheckStore(deps.db);
  const checkName = checkRunName(gh, config.environmentName);
  const checkoutRoot = join(deps.dataDir, "ci-checkouts");
  rmSync(checkoutRoot, { recursive: true, force: true }); // left by a process that stopped mid-check
  const runner = new CheckRunner({
    github: gh,
    checkName,
    environment: gh.environment ?? config.environmentName,
    client,
    store,
    platform: deps.platform,
    http: deps.http,
    logger: log,
    scrubber,
    notebooks: { artifacts: deps.artifacts, availableApplications: deps.availableApplications },
    checkoutRoot,
  });
  let snapshot: GitHubSummary = { check_name: checkName, concurrency: gh.concurrency, queued: 0, in_progress: 0, reports_pending: 0, recent: [] };
  const refresh = async () => {
    const [counts, reportsPending, recent] = await Promise.all([store.counts(), store.reportsPending(), store.recent(gh.recentChecks)]);
    snapshot = { check_name: checkName, concurrency: gh.concurrency, ...counts, reports_pending: reportsPending, recent: recent.map(summaryOf) };
  };
  const changed = () => void refresh().catch((err: unknown) => log.warn({ err: (err as Error).message }, "could not read the check queue"));
  const queue = new CheckQueue({
    store,
    runner: {
      run: async (job, user, signal) => {
        changed();
        try {
          await runner.run(job, user, signal);
        } finally {
          changed();
        }
      },
      giveUp: async (job, reason) => {
        try {
          await runner.giveUp(job, reason);
        } finally {
          changed();
        }
      },
      deliverReport: async (job, signal) => {
        try {
          await runner.deliverReport(job, signal);
        } finally {
          changed();
        }
      },
    },
    users: gh.users.map((u) => ({ ...u, scopes: gh.scopes })),
    concurrency: gh.concurrency,
    maxAttempts: gh.maxAttempts,
    retryDelayMs: gh.retryDelay,
    logger: log,
  });
  const webhook = new WebhookHandler({
    secret: gh.webhookSecret!,
    acceptedOrgs: gh.acceptedOrgs,
    manager: deps.manager,
    store,
    runner,
    onQueued: async () => {
      queue.kick();
      await refresh().catch((err: unknown) => log.warn({ err: (err as Error).message }, "could not read the check queue"));
    },
    audit: deps.audit,
    logger: log,
  });
  return {
    webhook,
    queue,
    store,
    summary: () => snapshot,
    start: async () => {
      await queue.start();
      await refresh();
    },
    close: (timeoutMs) => queue.close(timeoutMs),
  };
}

function summaryOf(j: CheckJob): GitHubSummary["recent"][number] {
  const notebooks = j.result?.notebooks.filter((n) => n.verdict !== "skipped") ?? [];
  return {
    id: j.id,
    repo: j.repo,
    pr_number: j.pr_number,
    head_sha: j.head_sha,
    status: j.status,
    conclusion: j.conclusion,
    created_at: j.created_at,
    completed_at: j.completed_at,
    attempts: j.attempts,
    notebooks: notebooks.length,
    failures: notebooks.filter((n) => n.verdict === "failure").length,
  };
}
