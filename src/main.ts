/**
 * `troop serve`: load the config → build the container → start flocks → listen. On SIGTERM or
 * SIGINT every monkey stops (labs deleted, tokens revoked) within `shutdownTimeout`, then the
 * process exits 0.
 * @module
 */
import { ConfigError, formatProblem, loadConfigFile, loadConfigText } from "./config/load.js";
import { buildContainer, type Container } from "./container.js";

export interface ServeOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Install SIGTERM/SIGINT handlers that exit the process (the CLI does; tests don't). */
  handleSignals?: boolean;
}

/** Load config, start everything and listen. Throws ConfigError with located problems. */
export async function serve(opts: ServeOptions = {}): Promise<Container> {
  const env = opts.env ?? process.env;
  const loaded = opts.configFile ? loadConfigFile(opts.configFile, env) : loadConfigText("{}", "(defaults)", env);
  const config = loaded.config;
  if (!config.hub.url) throw new ConfigError([{ file: opts.configFile ?? "(defaults)", line: null, column: null, path: "hub.url", message: "required: set hub.url or TROOP_HUB_URL" }]);
  if (!config.hub.adminToken) throw new ConfigError([{ file: "environment", line: null, column: null, path: "hub.adminToken", message: "required: set TROOP_HUB_ADMIN_TOKEN" }]);
  if (!config.apiToken && config.principals.length === 0) {
    throw new ConfigError([{ file: "environment", line: null, column: null, path: "apiToken", message: "required: set TROOP_API_TOKEN or configure principals" }]);
  }
  const container = await buildContainer(config);
  for (const w of loaded.warnings) container.logger.warn(formatProblem(w));
  await container.server.listen({ port: config.port, host: config.host });
  container.logger.info({ url: `http://${config.host}:${addressPort(container)}${config.pathPrefix}`, hub: config.hub.url, hubType: config.hub.type }, "troop listening");
  await container.manager.startup();
  if (opts.handleSignals) installSignalHandlers(container);
  return container;
}

function addressPort(c: Container): number {
  const a = c.server.server.address();
  return typeof a === "object" && a ? a.port : c.config.port;
}

function installSignalHandlers(container: Container): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    container.logger.info({ signal }, "stopping: monkeys stop, labs are deleted, tokens revoked");
    container
      .close()
      .then((clean) => {
        container.logger.info({ clean }, "stopped");
        container.logger.flush();
        setTimeout(() => process.exit(0), 50);
      })
      .catch((err: Error) => {
        container.logger.error({ err: err.message }, "error while stopping");
        setTimeout(() => process.exit(1), 50);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
