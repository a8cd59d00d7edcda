/**
 * One bot user's session with a Nublado platform (the {@link BotSession} of hub type
 * `nublado`), following rubin-nublado-client: a Gafaelfawr service token, a hub login through
 * the Gafaelfawr authenticator (cookies + `_xsrf`), the spawn form, the SSE progress stream,
 * the lab's OAuth login (its own cookies + `_xsrf`) and deletion through the hub API.
 * @module
 */
import { SpawnFailedError } from "../../errors.js";
import { z } from "zod";
import type { GafaelfawrClient, MintedToken } from "../gafaelfawr.js";
import type { BotSession, BotUser, LabEndpoint, LabState, SpawnProgress, SpawnRequest } from "./types.js";
import { NubladoBrowser } from "./nublado-browser.js";
import { sseJsonEvents } from "./sse.js";

/** What a session needs from its platform. */
export interface NubladoSessionContext {
  /** Platform base URL without a trailing slash. */
  baseUrl: string;
  gafaelfawr: GafaelfawrClient;
  tokenLifetimeMs: number;
  timeoutMs: number;
  deletePollMs: number;
  onSecret?: ((secret: string) => void) | undefined;
}

/** The hub reported a failed spawn (or the progress stream ended without `ready`). */

const serverSchema = z.looseObject({ ready: z.boolean().optional(), pending: z.string().nullable().optional() });
const hubUserSchema = z.looseObject({ name: z.string(), servers: z.record(z.string(), serverSchema).default({}) });
const progressSchema = z.looseObject({
  progress: z.number().optional(),
  message: z.string().optional(),
  ready: z.boolean().optional(),
  failed: z.boolean().optional(),
});

/** Build the spawn form Nublado's lab controller understands (`LabRequestOptions`). */
export function spawnForm(req: SpawnRequest): Record<string, string> {
  const form: Record<string, string> = {};
  if (req.imageClass === "by-tag") {
    if (!req.tag) throw new Error('image class "by-tag" needs a tag');
    form.image_tag = req.tag;
  } else if (req.imageClass === "by-reference") {
    if (!req.reference) throw new Error('image class "by-reference" needs a reference');
    form.image_list = req.reference;
  } else {
    form.image_class = req.imageClass;
  }
  form.size = req.size;
  if (req.debug) form.enable_debug = "true";
  return form;
}

/** A bot's view of Nublado. No I/O until {@link login}. */
export class NubladoSession implements BotSession {
  private token: MintedToken | null = null;
  /** Tokens given up by {@link resetCredentials}, revoked at {@link close}. */
  private stale: MintedToken[] = [];
  private browser: NubladoBrowser | null = null;
  private readonly user: string;

  constructor(
    private readonly ctx: NubladoSessionContext,
    private readonly bot: BotUser,
  ) {
    this.user = encodeURIComponent(bot.username);
  }

  get username(): string {
    return this.bot.username;
  }

  private hubUrl(route: string): string {
    return `${this.ctx.baseUrl}/nb/hub/${route}`;
  }

  private get labBase(): string {
    return `${this.ctx.baseUrl}/nb/user/${this.user}/`;
  }

  /** Mint a token if there is none, then log in to the hub from scratch (fresh cookies). */
  async login(signal: AbortSignal): Promise<void> {
    if (!this.token) {
      const minted = await this.ctx.gafaelfawr.createBotToken({
        username: this.bot.username,
        scopes: this.bot.scopes,
        uid: this.bot.uidnumber,
        gid: this.bot.gidnumber,
        groups: this.bot.groups,
        lifetimeMs: this.ctx.tokenLifetimeMs,
        signal,
      });
      this.ctx.onSecret?.(minted.token);
      this.token = minted;
      await this.ctx.gafaelfawr.userInfo(minted.token, signal);
    }
    const browser = new NubladoBrowser({ baseUrl: this.ctx.baseUrl, token: this.token.token, timeoutMs: this.ctx.timeoutMs });
    await browser.request(this.hubUrl("home"), { mode: "navigate", signal });
    if (!browser.xsrf(this.hubUrl("home"))) throw new Error(`hub login of ${this.bot.username} set no _xsrf cookie`);
    this.browser = browser;
  }

  async labState(signal: AbortSignal): Promise<LabState> {
    const hub = await this.hub(signal);
    const res = await hub.request(this.hubUrl(`api/users/${this.user}`), { signal });
    const servers = Object.values(hubUserSchema.parse(res.json()).servers);
    if (servers.length === 0) return "stopped";
    return servers.some((s) => s.ready && !s.pending) ? "running" : "pending";
  }

  async requestSpawn(request: SpawnRequest, signal: AbortSignal): Promise<void> {
    const form = spawnForm(request);
    const hub = await this.hub(signal);
    // The client loads the form first (DM-23864: the hub builds state there), then posts it;
    // the POST redirects to the spawn-pending page.
    await hub.request(this.hubUrl("spawn"), { mode: "navigate", signal });
    await hub.request(this.hubUrl("spawn"), { method: "POST", form, follow: true, signal });
  }

  async waitForSpawn(signal: AbortSignal, onProgress: (p: SpawnProgress) => void): Promise<void> {
    const hub = await this.hub(signal);
    const res = await hub.stream(this.hubUrl(`api/users/${this.user}/server/progress`), { accept: "text/event-stream", signal });
    const log: string[] = [];
    try {
      for await (const raw of sseJsonEvents(res.body)) {
        const parsed = progressSchema.safeParse(raw);
        if (!parsed.success) continue;
        const p = parsed.data;
        const event = { progress: p.progress ?? 0, message: p.message ?? "", ready: p.ready === true, failed: p.failed === true };
        log.push(event.message);
        onProgress(event);
        if (event.ready) return;
        if (event.failed) throw new SpawnFailedError(event.message || "Spawn failed", log);
      }
    } catch (err) {
      throw signal.aborted ? signal.reason : err;
    }
    throw new SpawnFailedError(log.at(-1) ?? "No output from spawn attempt", log);
  }

  async labLogin(signal: AbortSignal): Promise<LabEndpoint> {
    const hub = await this.hub(signal);
    const base = this.labBase;
    // The lab sends us through the hub's OAuth authorize and back to its callback, which sets
    // the lab's login cookie; the lab page then sets the lab's own _xsrf cookie.
    await hub.request(`${base}lab`, { mode: "navigate", signal });
    const apiUrl = `${base}api/`;
    if (!hub.xsrf(apiUrl)) throw new Error(`lab login of ${this.bot.username} set no _xsrf cookie`);
    const token = this.requireToken().token;
    return {
      baseUrl: base,
      auth: {
        headers: () => {
          const headers: Record<string, string> = { authorization: `Bearer ${token}`, "sec-fetch-mode": "same-origin" };
          const cookie = hub.jar.header(apiUrl);
          const xsrf = hub.xsrf(apiUrl);
          if (cookie) headers.cookie = cookie;
          if (xsrf) headers["x-xsrftoken"] = xsrf;
          return headers;
        },
      },
    };
  }

  async deleteLab(signal: AbortSignal): Promise<void> {
    const hub = await this.hub(signal);
    if ((await this.labState(signal)) === "stopped") return;
    await hub.request(this.hubUrl(`api/users/${this.user}/server`), { method: "DELETE", expect: [202, 204], signal });
    while ((await this.labState(signal)) !== "stopped") await sleep(this.ctx.deletePollMs, signal);
  }

  resetCredentials(): void {
    if (this.token) this.stale.push(this.token);
    this.token = null;
    this.browser = null;
  }

  /** Revoke every token this session minted. Throws (naming only keys) if any revocation failed. */
  async close(signal: AbortSignal): Promise<void> {
    const tokens = [...this.stale, ...(this.token ? [this.token] : [])];
    this.stale = [];
    this.token = null;
    this.browser = null;
    const failed: string[] = [];
    let cause: unknown;
    for (const t of tokens) {
      try {
        await this.ctx.gafaelfawr.revokeToken(this.bot.username, t.key, signal);
      } catch (err) {
        failed.push(t.key);
        cause ??= err;
      }
    }
    if (failed.length) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new Error(`could not revoke token(s) ${failed.join(", ")} of ${this.bot.username}: ${why}`, { cause });
    }
  }

  private async hub(signal: AbortSignal): Promise<NubladoBrowser> {
    if (!this.browser) await this.login(signal);
    return this.browser as NubladoBrowser;
  }

  private requireToken(): MintedToken {
    if (!this.token) throw new Error(`${this.bot.username} has no token: log in first`);
    return this.token;
  }
}

/** Wait `ms`, or reject with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
