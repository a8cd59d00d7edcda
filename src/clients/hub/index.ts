/**
 * Builds the configured hub client. The only place that chooses between hub types.
 * @module
 */
import type { ServiceConfig } from "../../config/schema.js";
import type { HttpClient } from "../http.js";
import { JupyterHubPlatform } from "./jupyterhub.js";
import { NubladoPlatform } from "./nublado.js";
import type { Platform } from "./types.js";

export function createPlatform(opts: { hub: ServiceConfig["hub"]; http: HttpClient; onSecret: (s: string) => void }): Platform {
  const { hub } = opts;
  if (!hub.url || !hub.adminToken) throw new Error("hub.url and hub.adminToken are required (TROOP_HUB_URL, TROOP_HUB_ADMIN_TOKEN)");
  if (hub.type === "nublado") {
    return new NubladoPlatform({ http: opts.http, baseUrl: hub.url, adminToken: hub.adminToken, tokenLifetimeMs: hub.tokenLifetime, onSecret: opts.onSecret });
  }
  return new JupyterHubPlatform({ http: opts.http, url: hub.url, adminToken: hub.adminToken, tokenLifetimeMs: hub.tokenLifetime, onSecret: opts.onSecret });
}
