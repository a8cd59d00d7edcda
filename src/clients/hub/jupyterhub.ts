/**
 * Hub type `jupyterhub`: any JupyterHub ≥ 3 with an admin API token. The admin token creates
 * bot users and mints one expiring token per monkey; everything a user would do (spawn, watch
 * progress, use the lab, stop the server) is done with the bot's own token, as a person would.
 * @module
 */
import { z } from "zod";
import { HttpStatusError, SpawnFailedError } from "../../errors.js";
import type { HttpClient } from "../http.js";
import type { BotSession, BotUser, LabEndpoint, LabState, Platform, SpawnProgress, SpawnRequest } from "./types.js";
import { sseJsonEvents } from "./sse.js";

export interface JupyterHubOptions {
  http: HttpClient;
  /** Public URL of the hub (where `/hub/api` and `/user/<name>/` are served). */
  url: string;
  adminToken: string;
  tokenLifetimeMs: number;
  /** Called with every token minted, so logs and responses can be scrubbed of it. */
  onSecret?: (secret: string) => void;
  /** Poll interval while waiting for a deleted lab to go away. */
  deletePollMs?: number;
}

const serverSchema = z.looseObject({ ready: z.boolean(), pending: z.string().nullable().optional(), url: z.string() });
const userSchema = z.looseObject({ name: z.string(), servers: z.record(z.string(), serverSchema).optional() });
const tokenSchema = z.looseObject({ token: z.string(), id: z.string() });
const progressSchema = z.looseObject({
  progress: z.number().optional(),
  message: z.string().optional(),
  ready: z.boolean().optional(),
  failed: z.boolean().optional(),
});

export class JupyterHubPlatform implements Platform {
  readonly type = "jupyterhub" as const;
  readonly api: string;

  constructor(readonly opts: JupyterHubOptions) {
    this.api = `${opts.url.replace(/\/+$/, "")}/hub/api`;
  }

  session(user: BotUser): BotSession {
    return new JupyterHubSession(this, user.username);
  }

  /** Admin call to the hub API. */
  admin(path: string, init: { method?: string; json?: unknown; expect?: number[]; signal: AbortSignal }) {
    return this.opts.http.request(`${this.api}${path}`, { ...init, headers: { authorization: `token ${this.opts.adminToken}` } });
  }

  async stopServers(usernames: readonly string[], signal: AbortSignal): Promise<string[]> {
    const stopped: string[] = [];
    for (const name of usernames) {
      const res = await this.admin(`/users/${encodeURIComponent(name)}`, { signal, expect: [200, 404] });
      if (res.status === 404) continue;
      const user = userSchema.parse(await res.json());
      for (const serverName of Object.keys(user.servers ?? {})) {
        const path = serverName ? `/servers/${encodeURIComponent(serverName)}` : "/server";
        await this.admin(`/users/${encodeURIComponent(name)}${path}`, { method: "DELETE", signal, expect: [202, 204, 400, 404] });
        stopped.push(name);
      }
    }
    return stopped;
  }
}

class JupyterHubSession implements BotSession {
  private token: { value: string; id: string } | null = null;

  constructor(
    private readonly hub: JupyterHubPlatform,
    readonly username: string,
  ) {}

  private get userPath(): string {
    return `/users/${encodeURIComponent(this.username)}`;
  }

  /** Call the hub API with the bot's own token. */
  private asUser(path: string, init: { method?: string; json?: unknown; expect?: number[]; signal: AbortSignal }) {
    if (!this.token) throw new Error("not logged in to the hub");
    return this.hub.opts.http.request(`${this.hub.api}${path}`, { ...init, headers: { authorization: `token ${this.token.value}` } });
  }

  async login(signal: AbortSignal): Promise<void> {
    if (!this.token) {
      await this.hub.admin(this.userPath, { method: "POST", signal, expect: [201, 409] });
      const res = await this.hub.admin(`${this.userPath}/tokens`, {
        method: "POST",
        json: { note: "troop bot", expires_in: Math.ceil(this.hub.opts.tokenLifetimeMs / 1000) },
        signal,
        expect: [200, 201],
      });
      const t = tokenSchema.parse(await res.json());
      this.hub.opts.onSecret?.(t.token);
      this.token = { value: t.token, id: t.id };
    }
    try {
      await this.asUser("/user", { signal });
    } catch (err) {
      if (err instanceof HttpStatusError && (err.status === 401 || err.status === 403)) this.token = null;
      throw err;
    }
  }

  private async server(signal: AbortSignal) {
    const res = await this.asUser(this.userPath, { signal });
    const user = userSchema.parse(await res.json());
    return user.servers?.[""] ?? null;
  }

  async labState(signal: AbortSignal): Promise<LabState> {
    const server = await this.server(signal);
    if (!server) return "stopped";
    return server.ready ? "running" : "pending";
  }

  async requestSpawn(request: SpawnRequest, signal: AbortSignal): Promise<void> {
    const userOptions: Record<string, unknown> = { ...request.userOptions };
    if (request.imageClass === "by-reference") userOptions["image"] = request.reference;
    if (request.imageClass === "by-tag") userOptions["image_tag"] = request.tag;
    // 201 started, 202 pending; 400 "already running" is fine: we follow progress either way
    await this.asUser(`${this.userPath}/server`, { method: "POST", json: userOptions, signal, expect: [201, 202, 400] });
  }

  async waitForSpawn(signal: AbortSignal, onProgress: (p: SpawnProgress) => void): Promise<void> {
    const log: string[] = [];
    const res = await this.asUser(`${this.userPath}/server/progress`, { signal });
    if (!res.response.body) throw new Error("spawn progress stream has no body");
    for await (const raw of sseJsonEvents(res.response.body)) {
      const p = progressSchema.parse(raw);
      const event = { progress: p.progress ?? 0, message: p.message ?? "", ready: p.ready === true, failed: p.failed === true };
      onProgress(event);
      log.push(event.message);
      if (event.failed) throw new SpawnFailedError(event.message || "spawn failed", log);
      if (event.ready) return;
    }
    // the stream ended without a verdict: ask the hub directly
    if ((await this.labState(signal)) !== "running") throw new SpawnFailedError("spawn progress ended before the lab was ready", log);
  }

  async labLogin(signal: AbortSignal): Promise<LabEndpoint> {
    const server = await this.server(signal);
    if (!server?.ready) throw new Error("the lab is not running");
    const token = this.token!.value;
    const baseUrl = new URL(server.url, this.hub.opts.url).toString();
    const auth = { headers: () => ({ authorization: `token ${token}` }) };
    await this.hub.opts.http.request(`${baseUrl}api/status`, { headers: auth.headers(), signal });
    return { baseUrl, auth };
  }

  /** Ask for the stop until the hub has no server; a server still spawning is asked again once it can stop. */
  async deleteLab(signal: AbortSignal): Promise<void> {
    const poll = this.hub.opts.deletePollMs ?? 250;
    for (;;) {
      const server = await this.server(signal);
      if (!server) return;
      if (server.pending !== "stop") {
        // 400 while a spawn is pending: try again at the next poll
        await this.asUser(`${this.userPath}/server`, { method: "DELETE", signal, expect: [202, 204, 400, 404] });
      }
      await new Promise((resolve) => setTimeout(resolve, poll));
      signal.throwIfAborted();
    }
  }

  resetCredentials(): void {
    this.token = null;
  }

  async close(signal: AbortSignal): Promise<void> {
    const token = this.token;
    this.token = null;
    if (!token) return;
    await this.hub.admin(`${this.userPath}/tokens/${encodeURIComponent(token.id)}`, { method: "DELETE", signal, expect: [204, 404] });
  }
}
