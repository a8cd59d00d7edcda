/**
 * Models of the GitHub integration: a queued pull-request check (a row of `github_checks`),
 * what one checked notebook gave, the CI part of `GET /summary`, and the webhook's answer.
 * @module
 */
import { z } from "zod";

export const checkStatusSchema = z.enum(["queued", "in_progress", "completed"]);
export type CheckStatus = z.output<typeof checkStatusSchema>;

/** GitHub's check run conclusions that Troop sets. */
export const checkConclusionSchema = z.enum(["success", "failure", "neutral", "cancelled"]);
export type CheckConclusion = z.output<typeof checkConclusionSchema>;

/** One notebook of a check, as the check output shows it. */
export const checkedNotebookSchema = z.strictObject({
  path: z.string(),
  verdict: z.enum(["success", "failure", "skipped"]),
  duration_ms: z.number().nullable(),
  cell_number: z.number().nullable().meta({ description: "1-based code cell that failed" }),
  reason: z.string().nullable().meta({ description: "Why it failed or was skipped" }),
  exception: z.string().nullable(),
  cell_source: z.string().nullable(),
  traceback: z.string().nullable(),
  execution_id: z.string().nullable(),
});
export type CheckedNotebook = z.output<typeof checkedNotebookSchema>;

/** What a completed check found (stored as JSON with the job). */
export const checkResultSchema = z.strictObject({
  commit: z.string().nullable(),
  notebooks: z.array(checkedNotebookSchema),
  /** Notebooks committed with outputs (a warning annotation each). */
  with_outputs: z.array(z.string()),
  error: z.string().nullable().meta({ description: "Why the check could not run at all" }),
  /** Set when Troop gave up on the check after failing inside itself: its output is then "Troop failed internally". */
  internal: z
    .strictObject({ attempts: z.number().int(), reason: z.string().meta({ description: "The last error, scrubbed" }) })
    .optional()
    .meta({ description: "Troop gave up on the check after failing internally at every attempt" }),
});
export type CheckResult = z.output<typeof checkResultSchema>;

/** A row of `github_checks`, parsed at the store boundary. */
export const checkJobSchema = z.strictObject({
  id: z.number().int(),
  repo: z.string().meta({ description: "owner/name", examples: ["lsst-sqre/notebook-demo"] }),
  clone_url: z.string().meta({ description: "Where the repository is cloned from (never with credentials)" }),
  head_sha: z.string(),
  head_ref: z.string().nullable(),
  base_sha: z.string().nullable(),
  pr_number: z.number().int().nullable(),
  fork: z.boolean().meta({ description: "The pull request's head is in another repository (a fork)" }),
  check_run_id: z.number().int().nullable(),
  installation_id: z.number().int(),
  status: checkStatusSchema,
  conclusion: checkConclusionSchema.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  attempts: z.number().int(),
  not_before: z.string().nullable().meta({ description: "A queued retry waits until then" }),
  result: checkResultSchema.nullable().meta({ description: "Set when completed, or while in progress when only reporting it to GitHub is left" }),
  report_not_before: z.string().nullable().meta({ description: "Set on a completed check whose report to GitHub failed: the report is delivered again from then" }),
  report_attempts: z.number().int().meta({ description: "Failed deliveries of a completed check's report to GitHub" }),
});
export type CheckJob = z.output<typeof checkJobSchema>;

/** A check as `GET /summary` lists it. */
export const checkSummarySchema = z
  .strictObject({
    id: z.number().int(),
    repo: z.string(),
    pr_number: z.number().int().nullable(),
    head_sha: z.string(),
    status: checkStatusSchema,
    conclusion: checkConclusionSchema.nullable(),
    created_at: z.string(),
    completed_at: z.string().nullable(),
    attempts: z.number().int(),
    notebooks: z.number().int().meta({ description: "Notebooks checked" }),
    failures: z.number().int(),
  })
  .meta({ id: "GitHubCheck" });
export type CheckSummary = z.output<typeof checkSummarySchema>;

/** The `github` field of `GET /summary` (present only when the integration is enabled). */
export const githubSummarySchema = z
  .strictObject({
    check_name: z.string().meta({ examples: ["Troop (idfprod)"] }),
    concurrency: z.number().int(),
    queued: z.number().int(),
    in_progress: z.number().int(),
    reports_pending: z.number().int().meta({ description: "Completed checks whose report to GitHub failed and is being delivered again" }),
    recent: z.array(checkSummarySchema).meta({ description: "Newest first" }),
  })
  .meta({ id: "GitHubSummary" });
export type GitHubSummary = z.output<typeof githubSummarySchema>;

/** Answer of `POST /github/webhook`. */
export const webhookResultSchema = z
  .strictObject({
    result: z.enum(["accepted", "ignored"]),
    event: z.string(),
    detail: z.string().meta({ description: "What was done, or why the delivery was ignored" }),
    refreshed: z.array(z.string()).optional().meta({ description: "push: flocks asked to refresh" }),
    check: z.number().int().optional().meta({ description: "Id of the queued check" }),
  })
  .meta({ id: "GitHubWebhookResult" });
export type WebhookResult = z.output<typeof webhookResultSchema>;
