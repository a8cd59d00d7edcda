/** A BusinessContext for unit tests of businesses. */
import type { BusinessContext } from "../../src/businesses/types.js";
import { HttpClient } from "../../src/clients/http.js";
import type { Platform } from "../../src/clients/hub/types.js";
import type { Execution } from "../../src/models/execution.js";

const noPlatform: Platform = {
  type: "jupyterhub",
  session: () => {
    throw new Error("this business should not use the platform");
  },
  stopServers: async () => [],
};

export function testContext<O>(opts: { options: O; restart?: boolean; platform?: Platform; onExecution?: (r: Execution) => void; username?: string }): BusinessContext<O> {
  const lines: string[] = [];
  const log = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  return {
    options: opts.options,
    restart: opts.restart ?? false,
    identity: { flock: "test", monkey: opts.username ?? "bot-test1", business: "test" },
    user: { username: opts.username ?? "bot-test1", groups: [], scopes: ["exec:notebook"] },
    platform: opts.platform ?? noPlatform,
    http: new HttpClient(),
    log: { debug: log("DEBUG"), info: log("INFO"), warn: log("WARN"), error: log("ERROR") },
    onExecution: opts.onExecution ?? (() => undefined),
  };
}
