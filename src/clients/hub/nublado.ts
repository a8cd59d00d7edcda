/**
 * Hub type `nublado`: the Rubin Science Platform's notebook service. Bots authenticate with
 * Gafaelfawr service tokens minted with an admin token (`admin:token`), and then behave like a
 * browser (see `nublado-browser.ts` and `nublado-session.ts`). Layout under the base URL:
 * the hub at `/nb/hub/`, labs at `/nb/user/{name}/`, Gafaelfawr at `/auth/api/v1/`.
 *
 * Clean-up: Nublado has no admin route an `admin:token` holder can use to stop someone's lab
 * (the lab controller's `/nublado/spawner/v1/labs/{user}` routes are reserved for JupyterHub
 * itself via the `admin:jupyterlab` scope, and bypassing the hub would leave it out of step).
 * {@link NubladoPlatform.stopServers} therefore mints a short-lived token for each bot and
 * stops the lab through the hub like the bot would, then revokes that token.
 * @module
 */
import { GafaelfawrClient } from "../gafaelfawr.js";
import type { HttpClient } from "../http.js";
import { NubladoSession, type NubladoSessionContext } from "./nublado-session.js";
import type { BotSession, BotUser, Platform, ServiceToken } from "./types.js";

export { NubladoSession, spawnForm } from "./nublado-session.js";
export { SpawnFailedError } from "../../errors.js";

/** How to reach a Nublado platform. */
export interface NubladoPlatformOptions {
  http: HttpClient;
  /** E.g. `https://data.lsst.cloud` or `http://127.0.0.1:PORT` (no trailing path). */
  baseUrl: string;
  /** Gafaelfawr token with `admin:token`. Never logged, never put in a URL. */
  adminToken: string;
  /** Lifetime of each bot token (Gafaelfawr's minimum is five minutes). */
  tokenLifetimeMs: number;
  /** Per-request time limit for hub, lab and Gafaelfawr calls (default 30 s). */
  timeoutMs?: number;
  /** Poll interval while waiting for a deleted lab to go away (default 2 s, as mobu). */
  deletePollMs?: number;
  /** Scopes of the short-lived tokens {@link NubladoPlatform.stopServers} mints. */
  stopScopes?: readonly string[];
  /** How many users {@link NubladoPlatform.stopServers} handles at once (default 4). */
  stopConcurrency?: number;
  /** Called with every token minted, so logs and responses can be scrubbed of it. */
  onSecret?: (secret: string) => void;
}

/** Lifetime of clean-up tokens: Gafaelfawr's five-minute minimum plus margin. */
const STOP_TOKEN_LIFETIME_MS = 10 * 60_000;

/** {@link NubladoPlatform.stopServers} could not handle some users. */
export class StopServersError extends Error {
  override readonly name = "StopServersError";
  constructor(
    /** Users whose lab was stopped anyway. */
    readonly stopped: string[],
    readonly failures: { username: string; error: unknown }[],
  ) {
    const list = failures.map((f) => `${f.username} (${f.error instanceof Error ? f.error.message : String(f.error)})`);
    super(`could not stop the labs of ${failures.length} user(s): ${list.join("; ")}`);
  }
}

/** The Nublado platform: bot sessions plus clean-up. */
export class NubladoPlatform implements Platform {
  readonly type = "nublado" as const;
  /** Token administration (shared by every session). */
  readonly gafaelfawr: GafaelfawrClient;
  private readonly ctx: NubladoSessionContext;

  constructor(private readonly opts: NubladoPlatformOptions) {
    const baseUrl = opts.baseUrl.replace(/\/+$/, "");
    const timeoutMs = opts.timeoutMs ?? 30_000;
    this.gafaelfawr = new GafaelfawrClient({ http: opts.http, baseUrl, adminToken: opts.adminToken, timeoutMs });
    this.ctx = {
      baseUrl,
      gafaelfawr: this.gafaelfawr,
      tokenLifetimeMs: opts.tokenLifetimeMs,
      timeoutMs,
      deletePollMs: opts.deletePollMs ?? 2000,
      onSecret: opts.onSecret,
    };
  }

  session(user: BotUser): BotSession {
    return new NubladoSession(this.ctx, user);
  }

  /** A Gafaelfawr service token with the bot's scopes, for TAP and SIA (as mobu sends). */
  async serviceToken(user: BotUser, signal: AbortSignal): Promise<ServiceToken> {
    const minted = await this.gafaelfawr.createBotToken({
      username: user.username,
      scopes: user.scopes,
      uid: user.uidnumber,
      gid: user.gidnumber,
      groups: user.groups,
      lifetimeMs: this.opts.tokenLifetimeMs,
      signal,
    });
    this.opts.onSecret?.(minted.token);
    return {
      token: minted.token,
      revoke: async (s) => void (await this.gafaelfawr.revokeToken(user.username, minted.key, s)),
    };
  }

  /**
   * Stop the labs of these users, each through the hub with a freshly minted short-lived token
   * (revoked afterwards), waiting until the hub reports each gone. Returns the users whose lab
   * was running or pending. Throws {@link StopServersError} after trying everyone if any failed.
   */
  async stopServers(usernames: readonly string[], signal: AbortSignal): Promise<string[]> {
    const stopped: string[] = [];
    const failures: { username: string; error: unknown }[] = [];
    const unique = [...new Set(usernames)];
    const queue = [...unique];
    const worker = async () => {
      for (let username = queue.shift(); username !== undefined; username = queue.shift()) {
        if (signal.aborted) throw signal.reason;
        try {
          if (await this.stopOne(username, signal)) stopped.push(username);
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          failures.push({ username, error });
        }
      }
    };
    const workers = Math.max(1, Math.min(this.opts.stopConcurrency ?? 4, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (failures.length) throw new StopServersError(stopped, failures);
    return unique.filter((u) => stopped.includes(u));
  }

  private async stopOne(username: string, signal: AbortSignal): Promise<boolean> {
    const scopes = [...(this.opts.stopScopes ?? ["exec:notebook"])];
    const session = new NubladoSession({ ...this.ctx, tokenLifetimeMs: STOP_TOKEN_LIFETIME_MS }, { username, groups: [], scopes });
    let result: boolean;
    try {
      await session.login(signal);
      result = (await session.labState(signal)) !== "stopped";
      if (result) await session.deleteLab(signal);
    } catch (err) {
      await session.close(signal).catch(() => undefined);
      throw err;
    }
    await session.close(signal);
    return result;
  }
}
