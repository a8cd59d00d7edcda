/**
 * Fake Gafaelfawr: the token API (`POST /auth/api/v1/tokens`, `GET /auth/api/v1/user-info`,
 * `DELETE /auth/api/v1/users/{username}/tokens/{key}`) and the ingress check that guards
 * every Nublado URL (a valid bearer token with `exec:notebook`). Shapes, validation rules and
 * status codes follow lsst-sqre/gafaelfawr (`handlers/api.py`, `models/token.py`,
 * `services/token.py`, `dependencies/auth.py`).
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type FakeNubladoState, type FakeToken, header, randomId, readBody, sendJson } from "./state.js";

const USERNAME_RE = /^[a-z0-9](?:[a-z0-9]|-[a-z0-9])*[a-z](?:[a-z0-9]|-[a-z0-9])*$/;
const TOKEN_RE = /^gt-([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;
const MINIMUM_LIFETIME_MS = 5 * 60_000;

/** Scopes the fake Gafaelfawr knows about (unknown scopes are refused, as configured ones are). */
export const DEFAULT_KNOWN_SCOPES = [
  "admin:token", "exec:admin", "exec:notebook", "exec:portal", "read:image", "read:tap",
  "read:alertdb", "user:token", "write:files", "read:all",
];

const adminRequestSchema = z.object({
  username: z.string().min(1).max(64).regex(USERNAME_RE),
  token_type: z.enum(["service", "user"]),
  token_name: z.string().min(1).max(64).nullish(),
  scopes: z.array(z.string()).default([]),
  expires: z.number().int().nullish(),
  name: z.string().min(1).nullish(),
  email: z.string().min(1).nullish(),
  uid: z.number().int().min(1).nullish(),
  gid: z.number().int().min(1).nullish(),
  groups: z.array(z.object({ name: z.string().min(1), id: z.number().int().min(1) })).nullish(),
});

type Detail = { loc?: string[]; msg: string; type: string };
const error = (res: ServerResponse, status: number, d: Detail, headers: Record<string, string> = {}) =>
  sendJson(res, status, { detail: [d] }, headers);

/** The fake Gafaelfawr bound to a state. */
export class FakeGafaelfawr {
  constructor(
    private readonly state: FakeNubladoState,
    private readonly knownScopes: readonly string[],
  ) {}

  /** Store a token directly (the admin token at start-up, for instance) and return it. */
  mint(fields: Omit<FakeToken, "key" | "secret">): string {
    const token: FakeToken = { ...fields, key: randomId(), secret: randomId() };
    this.state.tokens.set(token.key, token);
    return `gt-${token.key}.${token.secret}`;
  }

  /** The token data for a serialised token, or null if unknown, wrong, revoked or expired. */
  lookup(token: string | undefined): FakeToken | null {
    const m = token === undefined ? null : TOKEN_RE.exec(token);
    const data = m?.[1] === undefined ? undefined : this.state.tokens.get(m[1]);
    if (!data || data.secret !== m?.[2]) return null;
    return data.expires !== null && data.expires <= Date.now() ? null : data;
  }

  /**
   * The ingress check in front of Nublado (`/ingress/auth` with `exec:notebook`). Writes the
   * 401/403 itself and returns null on failure.
   */
  ingress(req: IncomingMessage, res: ServerResponse, scope = "exec:notebook"): FakeToken | null {
    const data = this.authenticate(req, res);
    if (!data) return null;
    if (!data.scopes.includes(scope)) {
      const www = `Bearer realm="${req.headers.host}", error="insufficient_scope", scope="${scope}"`;
      error(res, 403, { msg: `Token does not have required scope ${scope}`, type: "insufficient_scope" }, { "www-authenticate": www });
      return null;
    }
    return data;
  }

  /** The ingress check for a websocket upgrade: the token data, or the status to refuse with. */
  ingressStatus(req: IncomingMessage, scope = "exec:notebook"): FakeToken | 401 | 403 {
    const [scheme, token] = (header(req, "authorization") ?? "").split(/\s+/, 2);
    const data = scheme?.toLowerCase() === "bearer" ? this.lookup(token) : null;
    if (!data) return 401;
    return data.scopes.includes(scope) ? data : 403;
  }

  /** Serve `/auth/api/v1/*`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const del = /^\/auth\/api\/v1\/users\/([^/]+)\/tokens\/([^/]+)$/.exec(path);
    if (path === "/auth/api/v1/tokens" && req.method === "POST") return this.createToken(req, res);
    if (path === "/auth/api/v1/user-info" && req.method === "GET") return this.userInfo(req, res);
    if (del && req.method === "DELETE") return this.deleteToken(req, res, decodeURIComponent(del[1] ?? ""), decodeURIComponent(del[2] ?? ""));
    sendJson(res, 404, { detail: "Not Found" });
  }

  private authenticate(req: IncomingMessage, res: ServerResponse): FakeToken | null {
    const realm = `Bearer realm="${req.headers.host}"`;
    const auth = header(req, "authorization");
    if (!auth) {
      error(res, 401, { msg: "Authentication required", type: "invalid_token" }, { "www-authenticate": realm });
      return null;
    }
    const [scheme, token] = auth.split(/\s+/, 2);
    const data = scheme?.toLowerCase() === "bearer" ? this.lookup(token) : null;
    if (!data) {
      const www = `${realm}, error="invalid_token", error_description="Token is not valid"`;
      error(res, 401, { msg: "Token is not valid", type: "invalid_token" }, { "www-authenticate": www });
    }
    return data;
  }

  private async createToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = this.authenticate(req, res);
    if (!auth) return;
    if (!auth.scopes.includes("admin:token")) return error(res, 403, { msg: "Token does not have required scope admin:token", type: "permission_denied" });
    let raw: unknown;
    try {
      raw = JSON.parse(await readBody(req));
    } catch {
      return error(res, 422, { loc: ["body"], msg: "JSON decode error", type: "json_invalid" });
    }
    const parsed = adminRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return error(res, 422, { loc: ["body", ...(issue?.path ?? []).map(String)], msg: issue?.message ?? "invalid", type: "value_error" });
    }
    const r = parsed.data;
    if (r.token_type === "service" && r.token_name) return error(res, 422, { loc: ["body", "token_name"], msg: "Tokens of type service cannot have a name", type: "value_error" });
    if (r.token_type === "user" && !r.token_name) return error(res, 422, { loc: ["body", "token_name"], msg: "Tokens of type user must have a name", type: "value_error" });
    const unknown = r.scopes.filter((s) => !this.knownScopes.includes(s));
    if (unknown.length) return error(res, 422, { loc: ["body", "scopes"], msg: `Unknown scopes requested: ${unknown.join(", ")}`, type: "invalid_scopes" });
    const expires = r.expires == null ? null : r.expires * 1000;
    if (expires !== null && expires < Date.now() + MINIMUM_LIFETIME_MS) {
      return error(res, 422, { loc: ["body", "expires"], msg: "Token must be valid for at least five minutes", type: "invalid_expires" });
    }
    if (r.token_type === "service" && !r.username.startsWith("bot-")) {
      return error(res, 403, { msg: `Username "${r.username}" must start with "bot-"`, type: "permission_denied" });
    }
    const token = this.mint({
      username: r.username,
      tokenType: r.token_type,
      scopes: [...new Set(r.scopes)].sort(),
      expires,
      name: r.name ?? undefined,
      uid: r.uid ?? undefined,
      gid: r.gid ?? undefined,
      groups: r.groups ?? [],
    });
    const key = TOKEN_RE.exec(token)?.[1] ?? "";
    sendJson(res, 201, { token }, { location: `/auth/api/v1/users/${encodeURIComponent(r.username)}/tokens/${key}` });
  }

  private userInfo(req: IncomingMessage, res: ServerResponse): void {
    const t = this.authenticate(req, res);
    if (!t) return;
    const info: Record<string, unknown> = { username: t.username, groups: t.groups };
    if (t.name !== undefined) info.name = t.name;
    if (t.uid !== undefined) info.uid = t.uid;
    if (t.gid !== undefined) info.gid = t.gid;
    sendJson(res, 200, info, { "cache-control": "no-cache, no-store" });
  }

  private deleteToken(req: IncomingMessage, res: ServerResponse, username: string, key: string): void {
    const auth = this.authenticate(req, res);
    if (!auth) return;
    if (key.length !== 22) return error(res, 422, { loc: ["path", "key"], msg: "String should have at least 22 characters", type: "string_too_short" });
    const target = this.state.tokens.get(key);
    if (!target || target.username !== username) return error(res, 404, { loc: ["path", "key"], msg: "Token not found", type: "not_found" });
    const isAdmin = auth.scopes.includes("admin:token");
    if (!isAdmin && auth.username !== username) return error(res, 403, { msg: `Cannot act on tokens for user ${username}`, type: "permission_denied" });
    this.state.tokens.delete(key);
    this.state.revoked.push(key);
    res.writeHead(204);
    res.end();
  }
}
