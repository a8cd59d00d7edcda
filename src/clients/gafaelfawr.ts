/**
 * A narrow client for Gafaelfawr, the Rubin Science Platform's auth service: mint a service
 * token for a bot user with the admin token (`POST /auth/api/v1/tokens`), read a token's user
 * metadata (`GET /auth/api/v1/user-info`) and revoke a token
 * (`DELETE /auth/api/v1/users/{username}/tokens/{key}`). Replies are validated with zod.
 *
 * Secrets: tokens travel only in `Authorization` headers, never in URLs, and no error built
 * here quotes a reply that could contain one. A token's *key* (the part before the `.`) is not
 * a secret — Gafaelfawr logs it and uses it in URLs — so it may appear in messages.
 * @module
 */
import { z } from "zod";
import type { HttpClient } from "./http.js";

/** Gafaelfawr token: `gt-<22-char key>.<22-char secret>` (both URL-safe base64, unpadded). */
const TOKEN_RE = /^gt-([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

const newTokenSchema = z.object({ token: z.string().regex(TOKEN_RE) });

/** A group as Gafaelfawr models it. */
export const gafaelfawrGroupSchema = z.looseObject({ name: z.string(), id: z.number().int() });

/** `GET /auth/api/v1/user-info`: fields left out when unknown (`response_model_exclude_none`). */
export const userInfoSchema = z.looseObject({
  username: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
  groups: z.array(gafaelfawrGroupSchema).default([]),
});
/** Metadata Gafaelfawr holds for a token's user. */
export type GafaelfawrUserInfo = z.output<typeof userInfoSchema>;

/** A freshly minted token and its key (the handle used to revoke it). */
export interface MintedToken {
  token: string;
  key: string;
}

/** What {@link GafaelfawrClient.createBotToken} needs. */
export interface BotTokenRequest {
  /** Must start with `bot-` (Gafaelfawr only issues service tokens to bot users). */
  username: string;
  scopes: readonly string[];
  uid?: number | undefined;
  /** Defaults to `uid`, as mobu does (user-private group). */
  gid?: number | undefined;
  groups: readonly { name: string; id: number }[];
  /** Gafaelfawr refuses tokens valid for less than five minutes. */
  lifetimeMs: number;
  /** Full name recorded for the bot. */
  name?: string;
  signal: AbortSignal;
}

/** How to reach Gafaelfawr. */
export interface GafaelfawrClientOptions {
  http: HttpClient;
  /** Base URL of the platform; the API is at `{baseUrl}/auth/api/v1/`. */
  baseUrl: string;
  /** Token with the `admin:token` scope. */
  adminToken: string;
  /** Per-request time limit (default 30 s). */
  timeoutMs?: number;
}

/** Token administration for bot users. */
export class GafaelfawrClient {
  private readonly api: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: GafaelfawrClientOptions) {
    this.api = `${opts.baseUrl.replace(/\/+$/, "")}/auth/api/v1`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Mint a `service` token for a bot user with the admin token (201 `{token}`). */
  async createBotToken(req: BotTokenRequest): Promise<MintedToken> {
    const body: Record<string, unknown> = {
      username: req.username,
      token_type: "service",
      scopes: [...req.scopes],
      expires: Math.floor((Date.now() + req.lifetimeMs) / 1000),
      name: req.name ?? "Troop Test User",
      groups: req.groups.map((g) => ({ name: g.name, id: g.id })),
    };
    if (req.uid !== undefined) body.uid = req.uid;
    const gid = req.gid ?? req.uid;
    if (gid !== undefined) body.gid = gid;
    const res = await this.opts.http.request(`${this.api}/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.opts.adminToken}` },
      json: body,
      expect: [201],
      signal: withTimeout(req.signal, this.timeoutMs),
    });
    const parsed = newTokenSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new Error(`Gafaelfawr returned an unexpected reply creating a token for ${req.username}`);
    return { token: parsed.data.token, key: tokenKey(parsed.data.token) };
  }

  /** Metadata of the user `token` belongs to (also proves the token works). */
  async userInfo(token: string, signal: AbortSignal): Promise<GafaelfawrUserInfo> {
    const res = await this.opts.http.request(`${this.api}/user-info`, {
      headers: { authorization: `Bearer ${token}` },
      signal: withTimeout(signal, this.timeoutMs),
    });
    const parsed = userInfoSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new Error(`Gafaelfawr returned an unexpected user-info reply: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
    return parsed.data;
  }

  /** Revoke a token by key (and its children). Returns false when Gafaelfawr does not know it. */
  async revokeToken(username: string, key: string, signal: AbortSignal): Promise<boolean> {
    const res = await this.opts.http.request(`${this.api}/users/${encodeURIComponent(username)}/tokens/${encodeURIComponent(key)}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${this.opts.adminToken}` },
      expect: [204, 404],
      signal: withTimeout(signal, this.timeoutMs),
    });
    return res.status === 204;
  }
}

/** The key of a Gafaelfawr token (throws, without quoting it, if it is not one). */
export function tokenKey(token: string): string {
  const key = TOKEN_RE.exec(token)?.[1];
  if (key === undefined) throw new Error("not a Gafaelfawr token");
  return key;
}

/** `signal` plus a time limit, for one request. */
export function withTimeout(signal: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(ms)]);
}
