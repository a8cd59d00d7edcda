/**
 * Config of the GitHub App integration (`github`): notebook repositories refreshed on push,
 * and pull-request checks that run the notebooks a pull request adds or changes on this
 * deployment's hub as CI bot users. The app id, private key and webhook secret normally come
 * from the environment (`TROOP_GITHUB_APP_ID`, `TROOP_GITHUB_PRIVATE_KEY`,
 * `TROOP_GITHUB_WEBHOOK_SECRET`).
 * @module
 */
import { z } from "zod";
import { userSchema } from "../models/flock.js";
import { duration } from "./duration.js";

export const githubConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ description: "Serve POST /github/webhook and run pull-request checks" }),
    appId: z.number().int().positive().optional().meta({ description: "GitHub App id (env TROOP_GITHUB_APP_ID)", examples: [123456] }),
    privateKey: z.string().min(1).optional().meta({ description: "The app's private key, PEM (env TROOP_GITHUB_PRIVATE_KEY; a secret: prefer the environment)" }),
    webhookSecret: z.string().min(8, "the webhook secret must have at least 8 characters").optional().meta({ description: "Secret the app signs webhook deliveries with (env TROOP_GITHUB_WEBHOOK_SECRET; a secret)" }),
    apiUrl: z.url().default("https://api.github.com").meta({ description: "REST API base URL (GitHub Enterprise Server: https://HOST/api/v3)" }),
    acceptedOrgs: z.array(z.string().min(1)).default([]).meta({ description: "Organisations (or users) whose repositories are served, case-insensitive; others get 403", examples: [["lsst-sqre"]] }),
    environment: z.string().min(1).optional().meta({ description: "Name in the check run, `Troop (<environment>)`; default: environmentName" }),
    users: z
      .array(userSchema)
      .min(1)
      .default([{ username: "bot-troop-ci", groups: [] }])
      .meta({ description: "CI bot users; each running check uses one, with its own lab" }),
    scopes: z.array(z.string()).default(["exec:notebook"]).meta({ description: "Scopes of the CI bots' tokens (Nublado)" }),
    concurrency: z.number().int().min(0).max(100).default(1).meta({ description: "Checks run at once (at most the number of users; 0 holds the queue)" }),
    cellTimeout: duration("Limit for one cell of a checked notebook").default(300_000),
    notebookTimeout: duration("Limit for one checked notebook").default(1_800_000),
    maxAttempts: z.number().int().min(1).max(10).default(3).meta({ description: "Starts of one check (a check in progress when Troop stopped, or that failed inside Troop, is run again); then it completes as failed" }),
    retryDelay: duration("Wait before a check that failed inside Troop (not in its notebooks) runs again; doubled at each further attempt").default(30_000),
    reportRetryFor: duration("How long Troop keeps delivering the conclusion of a check whose report to GitHub failed when it gave up on it (back-off from retryDelay, doubled, at most 1 h); counted from the first failed delivery").default(86_400_000),
    forkPullRequests: z
      .enum(["skip", "run"])
      .default("skip")
      .meta({ description: "Pull requests from forks: skip (the check completes neutral at once; an outsider's code never runs as a CI bot) or run (like any pull request)", examples: ["skip"] }),
    recentChecks: z.number().int().min(0).max(500).default(20).meta({ description: "Recent checks shown in GET /summary and on the dashboard" }),
  })
  .superRefine((c, ctx) => {
    if (c.concurrency > c.users.length) ctx.addIssue({ code: "custom", path: ["concurrency"], message: `at most the number of users (${c.users.length})` });
    if (!c.enabled) return;
    const need: [keyof typeof c, string][] = [
      ["appId", "TROOP_GITHUB_APP_ID"],
      ["privateKey", "TROOP_GITHUB_PRIVATE_KEY"],
      ["webhookSecret", "TROOP_GITHUB_WEBHOOK_SECRET"],
    ];
    for (const [key, env] of need) if (c[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `required when github.enabled is true (set ${env})` });
  });
export type GitHubConfig = z.output<typeof githubConfigSchema>;

/** The name of the check run: `Troop (<environment>)`. */
export function checkRunName(github: GitHubConfig, environmentName: string): string {
  return `Troop (${github.environment ?? environmentName})`;
}
