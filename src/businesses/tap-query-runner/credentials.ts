/**
 * The bearer token a TAP or SIA monkey sends. On a platform that mints service tokens
 * (`nublado`: Gafaelfawr) each monkey gets its own, with its flock's `scopes`, revoked when it
 * stops — as mobu does. A plain JupyterHub has no token a data service would accept (and the
 * bot's hub token must not leak to another service), so there the monkey sends the token
 * configured for the service (`tap.token` / `sia.token`), or none at all (anonymous access).
 * @module
 */
import type { BotUser, Platform, ServiceToken } from "../../clients/hub/types.js";

/** Where a monkey's bearer token comes from. */
export type TokenSource = "minted" | "configured" | "none";

/** One monkey's credentials for a data service. */
export class DataCredentials {
  private constructor(
    private readonly token: string | null,
    private readonly minted: ServiceToken | null,
    readonly source: TokenSource,
  ) {}

  /** Mint a token when the platform can, else use the configured one (or none). */
  static async open(platform: Platform, user: BotUser, configured: string | null, signal: AbortSignal): Promise<DataCredentials> {
    if (platform.serviceToken) {
      const minted = await platform.serviceToken(user, signal);
      return new DataCredentials(minted.token, minted, "minted");
    }
    return configured ? new DataCredentials(configured, null, "configured") : new DataCredentials(null, null, "none");
  }

  /** True when opening needs I/O (a token to mint). */
  static mints(platform: Platform): boolean {
    return typeof platform.serviceToken === "function";
  }

  /** Headers for every request to the service. */
  headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** Revoke a minted token (a configured one is left alone). */
  async close(signal: AbortSignal): Promise<void> {
    await this.minted?.revoke(signal);
  }
}
