/**
 * The narrow interface every hub client implements (`jupyterhub`, `nublado`). Businesses only
 * see {@link BotSession}: one bot user's view of the platform, the way a person would use it
 * (log in, spawn a lab, talk to it, delete it). Admin work (tokens, cleanup) stays inside the
 * client and {@link Platform}.
 * @module
 */
import type { LabAuth } from "../jupyterlab/lab-client.js";
import type { HttpClient } from "../http.js";

/** A bot user as a flock defines it. */
export interface BotUser {
  username: string;
  uidnumber?: number | undefined;
  gidnumber?: number | undefined;
  groups: { name: string; id: number }[];
  scopes: string[];
}

/** What to spawn. Mirrors the business `image` option plus free-form extra user options. */
export interface SpawnRequest {
  imageClass: "recommended" | "latest-release" | "latest-weekly" | "latest-daily" | "by-tag" | "by-reference";
  tag?: string | undefined;
  reference?: string | undefined;
  size: string;
  debug: boolean;
  /** Extra `user_options` for a plain JupyterHub (e.g. a KubeSpawner `profile`). */
  userOptions: Record<string, unknown>;
}

/** One message of the hub's spawn progress stream. */
export interface SpawnProgress {
  progress: number;
  message: string;
  ready: boolean;
  failed: boolean;
}

/** State of the bot's default server as the hub reports it. */
export type LabState = "running" | "pending" | "stopped";

/** Where the bot's lab lives and how to authenticate to it. */
export interface LabEndpoint {
  /** Base URL of the single-user server, ending in `/` (e.g. `http://hub/user/bot-1/`). */
  baseUrl: string;
  auth: LabAuth;
}

/** One bot user's session with the platform. Every call honours `signal`. */
export interface BotSession {
  readonly username: string;
  /** Phase `hub_login`: obtain credentials if needed and prove them against the hub. */
  login(signal: AbortSignal): Promise<void>;
  /** State of the bot's default server. */
  labState(signal: AbortSignal): Promise<LabState>;
  /** First half of phase `spawn_lab`: ask the hub to start the lab. */
  requestSpawn(request: SpawnRequest, signal: AbortSignal): Promise<void>;
  /** Second half of `spawn_lab`: follow the progress stream until ready; throws on failure. */
  waitForSpawn(signal: AbortSignal, onProgress: (p: SpawnProgress) => void): Promise<void>;
  /** Phase `lab_login`: make sure the lab accepts the bot's credentials. */
  labLogin(signal: AbortSignal): Promise<LabEndpoint>;
  /** Phase `delete_lab`: stop the lab and wait until the hub says it is gone. */
  deleteLab(signal: AbortSignal): Promise<void>;
  /** Forget credentials (after the hub rejected them); the next `login` gets new ones. */
  resetCredentials(): void;
  /** Release credentials (revoke the bot token). Best effort, bounded by `signal`. */
  close(signal: AbortSignal): Promise<void>;
}

/** A hub as the service sees it: makes bot sessions and does admin clean-up. */
export interface Platform {
  readonly type: "jupyterhub" | "nublado";
  /** A session for one bot user; no I/O until `login`. */
  session(user: BotUser): BotSession;
  /** Stop the servers of these users if any is running; returns the users whose server was stopped. */
  stopServers(usernames: readonly string[], signal: AbortSignal): Promise<string[]>;
  /**
   * Mint a bearer token for one bot to call the platform's data services (TAP, SIA) with the
   * bot's scopes. Only platforms that issue such tokens (Gafaelfawr on `nublado`) have it.
   */
  serviceToken?(user: BotUser, signal: AbortSignal): Promise<ServiceToken>;
}

/** A token minted by {@link Platform.serviceToken}; revoke it when the bot stops. */
export interface ServiceToken {
  readonly token: string;
  /** Revoke the token (best effort, bounded by `signal`). */
  revoke(signal: AbortSignal): Promise<void>;
}

/** What every platform client is built from. */
export interface PlatformDeps {
  http: HttpClient;
}
