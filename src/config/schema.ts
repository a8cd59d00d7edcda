/**
 * The service configuration: one YAML file (camelCase keys, as mobu's service config), with
 * `autostart` flocks in mobu's wire format. Secrets normally come from the environment.
 * @module
 */
import { z } from "zod";
import { flockConfigSchema } from "../models/flock.js";
import { duration } from "./duration.js";
import { siaServiceConfigSchema, tapServiceConfigSchema } from "./data-services.js";
import { historyConfigSchema, metricsConfigSchema, slackConfigSchema } from "./results-schema.js";
import { securityConfigShape } from "./security-schema.js";
import { githubConfigSchema } from "./github-schema.js";
import { discoveryConfigSchema } from "./discovery-schema.js";

export const hubConfigSchema = z.strictObject({
  type: z.enum(["jupyterhub", "nublado"]).default("jupyterhub").meta({ description: "jupyterhub: any JupyterHub ≥ 3 with an admin token; nublado: Rubin's platform (Gafaelfawr + Nublado)" }),
  url: z.url().optional().meta({ description: "Base URL of the hub (env TROOP_HUB_URL)", examples: ["http://127.0.0.1:8000"] }),
  adminToken: z.string().min(8).optional().meta({ description: "Admin token (env TROOP_HUB_ADMIN_TOKEN; prefer the environment)" }),
  tokenLifetime: duration("Lifetime of each bot token; tokens are revoked when their monkey stops").default(86_400_000),
});

export const serviceConfigSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(8080).meta({ description: "Listen port (env TROOP_PORT)" }),
    host: z.string().default("127.0.0.1").meta({ description: "Listen address" }),
    pathPrefix: z
      .string()
      .regex(/^(\/[A-Za-z0-9._-]+)*$/, 'expected "" or a path such as "/troop" (no trailing slash)')
      .default("")
      .meta({ description: "Prefix of every route", examples: ["/mobu"] }),
    environmentName: z.string().default("local").meta({ description: "Name of the environment under test, for reports" }),
    hub: hubConfigSchema.default({ type: "jupyterhub", tokenLifetime: 86_400_000 }),
    database: z.string().default("./troop.sqlite").meta({ description: "SQLite file (env TROOP_DATABASE); relative to the working directory" }),
    dataDir: z.string().min(1).optional().meta({ description: "Folder for repository checkouts and artifacts (env TROOP_DATA_DIR); default: troop-data next to the database" }),
    availableApplications: z.array(z.string()).default([]).meta({ description: "Applications this deployment has; notebooks whose metadata.mobu.required_applications lists another are skipped", examples: [["nublado", "tap"]] }),
    apiToken: z.string().min(16, "the API token must have at least 16 characters").optional().meta({ description: "Bearer token for the API (env TROOP_API_TOKEN; prefer the environment)" }),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    monkeyLogMaxBytes: z.number().int().min(1024).max(100_000_000).default(200_000).meta({ description: "Per-monkey log kept in memory" }),
    shutdownTimeout: duration("Bound on stopping everything at SIGTERM").default(30_000),
    tap: tapServiceConfigSchema.prefault({}),
    sia: siaServiceConfigSchema.prefault({}),
    publicBaseUrl: z.url().optional().meta({ description: "Troop's URL as operators reach it, including pathPrefix; links in alerts and the history API", examples: ["https://data.example.org/troop"] }),
    history: historyConfigSchema.prefault({}).meta({ description: "Execution history and its retention" }),
    slack: slackConfigSchema.prefault({}).meta({ description: "Slack alerts and daily report" }),
    metrics: metricsConfigSchema.prefault({}).meta({ description: "Prometheus metrics" }),
    github: githubConfigSchema.prefault({}).meta({ description: "GitHub App: refresh on push, pull-request checks (docs/github.md)" }),
    discovery: discoveryConfigSchema.prefault({}).meta({ description: "Service discovery: applications and data-service URLs from a discovery document, refreshed periodically" }),
    ...securityConfigShape,
    autostart: z
      .array(z.unknown())
      .default([])
      .superRefine((list, ctx) => {
        list.forEach((item, i) => {
          const r = flockConfigSchema.safeParse(item);
          if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: [i, ...issue.path] } as never);
        });
      })
      .meta({ description: "Flocks started at start-up, each in the form of PUT /flocks (kept as written; parsed by the flock manager)" }),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.autostart.forEach((flock, i) => {
      const name = (flock as { name?: unknown } | null)?.name;
      if (typeof name !== "string") return;
      if (seen.has(name)) ctx.addIssue({ code: "custom", path: ["autostart", i, "name"], message: `duplicate flock name ${name}` });
      seen.add(name);
    });
  });

export type ServiceConfig = z.output<typeof serviceConfigSchema>;

/** Environment variables that override the file (public interface). */
export const ENV_OVERRIDES = [
  { env: "TROOP_HUB_URL", path: ["hub", "url"], kind: "string" },
  { env: "TROOP_HUB_ADMIN_TOKEN", path: ["hub", "adminToken"], kind: "string" },
  { env: "TROOP_HUB_TYPE", path: ["hub", "type"], kind: "string" },
  { env: "TROOP_API_TOKEN", path: ["apiToken"], kind: "string" },
  { env: "TROOP_PORT", path: ["port"], kind: "number" },
  { env: "TROOP_DATABASE", path: ["database"], kind: "string" },
  { env: "TROOP_TAP_URL", path: ["tap", "url"], kind: "string" },
  { env: "TROOP_TAP_TOKEN", path: ["tap", "token"], kind: "string" },
  { env: "TROOP_SIA_URL", path: ["sia", "url"], kind: "string" },
  { env: "TROOP_SIA_TOKEN", path: ["sia", "token"], kind: "string" },
  { env: "TROOP_DATA_DIR", path: ["dataDir"], kind: "string" },
  { env: "TROOP_SLACK_WEBHOOK_URL", path: ["slack", "webhookUrl"], kind: "string" },
  { env: "TROOP_GITHUB_APP_ID", path: ["github", "appId"], kind: "number" },
  { env: "TROOP_GITHUB_PRIVATE_KEY", path: ["github", "privateKey"], kind: "string" },
  { env: "TROOP_GITHUB_WEBHOOK_SECRET", path: ["github", "webhookSecret"], kind: "string" },
  { env: "TROOP_DISCOVERY_URL", path: ["discovery", "url"], kind: "string" },
] as const;
