/**
 * The composition root: builds every process singleton from the frozen config, once. Tests
 * build it with their own config (and a fake hub URL) instead of patching modules.
 * @module
 */
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { DestinationStream, Logger } from "pino";
import { Authenticator } from "./api/auth.js";
import { GatewayIdentity } from "./api/gateway.js";
import { buildServer } from "./api/server.js";
import { HttpClient } from "./clients/http.js";
import { createPlatform } from "./clients/hub/index.js";
import type { Platform } from "./clients/hub/types.js";
import { DiscoveryClient } from "./clients/discovery.js";
import { dataServicesFromConfig, withDiscovery } from "./config/data-services.js";
import type { ServiceConfig } from "./config/schema.js";
import { createLogger } from "./logging.js";
import { FlockManager } from "./services/flock-manager.js";
import { createGitHub, type GitHubIntegration } from "./services/github/index.js";
import { AuditService } from "./services/audit.js";
import { DiscoveryService } from "./services/discovery.js";
import { Authorizer } from "./services/authz.js";
import { createResults, type Results } from "./services/results/index.js";
import { SecretScrubber } from "./services/secrets.js";
import { SolitaryRunner } from "./services/solitary.js";
import { SqliteFlockStore } from "./store/sqlite.js";
import { ArtifactStore, scrubbedSink } from "./store/artifacts.js";
import { SqliteAuditStore } from "./store/audit-sqlite.js";
import { dataDirOf } from "./store/data-dir.js";
import { RepoCache } from "./store/repo-cache.js";
import type { FlockStore } from "./store/types.js";
import { VERSION } from "./version.js";

export interface Container {
  config: Readonly<ServiceConfig>;
  logger: Logger;
  scrubber: SecretScrubber;
  store: FlockStore;
  platform: Platform;
  manager: FlockManager;
  server: FastifyInstance;
  /** History, windows, metrics and Slack alerts of every execution. */
  results: Results;
  /** Service discovery (applications and data-service URLs from the discovery document). */
  discovery: DiscoveryService;
  /** GitHub App integration (refresh on push, pull-request checks); null unless `github.enabled`. */
  github: GitHubIntegration | null;
  /** Stop flocks (bounded), close the server and the database. */
  close(): Promise<boolean>;
}

export async function buildContainer(config: Readonly<ServiceConfig>, opts: { logDestination?: DestinationStream; scrubber?: SecretScrubber } = {}): Promise<Container> {
  if (!config.apiToken && config.principals.length === 0 && !config.gateway.enabled) throw new Error("an API token (TROOP_API_TOKEN), a principal or the gateway is required");
  const scrubber = opts.scrubber ?? new SecretScrubber();
  scrubber.add(config.apiToken);
  scrubber.add(config.hub.adminToken);
  scrubber.add(config.tap.token);
  scrubber.add(config.sia.token);
  scrubber.add(config.github.privateKey); // known even while github is disabled, so that no echo shows it
  scrubber.add(config.github.webhookSecret);
  const logger = createLogger({ level: config.logLevel, scrubber, destination: opts.logDestination });
  const http = new HttpClient(`troop/${VERSION}`);
  const platform = createPlatform({ hub: config.hub, http, onSecret: (s) => scrubber.add(s) });
  const store = await SqliteFlockStore.open(config.database, { onError: (err) => logger.error({ err: err.message }, "could not write counters") });
  const results = await createResults({ config, store, logger, scrubber, http, manager: () => manager, github: () => github?.summary() ?? null });
  const dataDir = dataDirOf(config);
  const artifacts = new ArtifactStore(join(dataDir, "artifacts"));
  const d = config.discovery;
  const discovery = new DiscoveryService({ client: d.url ? new DiscoveryClient(http, d.url) : null, configuredApplications: config.availableApplications, refreshIntervalMs: d.refreshInterval, timeoutMs: d.timeout, logger });
  await discovery.start(); // first fetch bounded by discovery.timeout; a failure only warns
  const dataServices = discovery.enabled ? withDiscovery(dataServicesFromConfig(config), { url: (kind, dataset) => discovery.serviceUrl(kind, dataset), get loaded() { return discovery.loaded; } }) : dataServicesFromConfig(config);
  const keptArtifacts = scrubbedSink(artifacts, (t) => scrubber.scrubOutput(t)); // for flocks, solitary runs and checks
  const notebooks = { repos: new RepoCache(join(dataDir, "repos")), artifacts: keptArtifacts, availableApplications: () => discovery.applications() };
  const manager = new FlockManager({ config, store, platform, http, logger, scrubber, notebooks, dataServices, onExecution: (r) => results.fanout.record(r) });
  const snapshot = (name: string) => (manager.listFlocks().includes(name) ? { config: manager.getFlock(name).storedConfig, paused: manager.getFlock(name).isPaused } : null);
  const audit = new AuditService({ store: new SqliteAuditStore(store.db as never), scrubber, logger, snapshot });
  const github = config.github.enabled
    ? createGitHub({ config, db: store.db as never, manager, platform, http, logger, scrubber, dataDir, artifacts: keptArtifacts, availableApplications: notebooks.availableApplications, userAgent: `troop/${VERSION}`, audit })
    : null;
  await github?.start(); // checks queued (or left in progress) before a restart run now
  const solitary = new SolitaryRunner({ platform, http, logger, scrubber, logMaxBytes: config.monkeyLogMaxBytes, notebooks, dataServices }, results.history);
  const auth = new Authenticator({ apiToken: config.apiToken, principals: config.principals, failedAuth: config.failedAuth, gateway: new GatewayIdentity(config.gateway), onSecret: (t) => scrubber.add(t) });
  const authz = new Authorizer({ repoUrlPrefixes: config.repoUrlPrefixes });
  const server = buildServer({ manager, solitary, logger, prefix: config.pathPrefix, auth, authz, audit, version: VERSION, artifacts, results: results.api, discovery, github: github?.webhook, scrub: (t) => scrubber.scrub(t) });
  let closing: Promise<boolean> | null = null;
  return {
    config,
    logger,
    scrubber,
    store,
    platform,
    manager,
    server,
    results,
    discovery,
    github,
    close: () =>
      (closing ??= (async () => {
        discovery.stop();
        const [done] = await Promise.all([manager.shutdown(config.shutdownTimeout), github?.close(config.shutdownTimeout)]);
        await results.close();
        await server.close();
        await store.close();
        return done;
      })()),
  };
}
