/**
 * Authorization in one place. Every route declares a {@link Permission}; the server asks
 * {@link Authorizer.check} before the handler runs. Admins may do everything; viewers read;
 * owners read everything and manage only flocks whose names match their patterns, with the
 * business types, scopes and count their grant allows. A configured repository allow-list
 * bounds the notebook `repo_url` of any flock or solitary run, whoever asks.
 * @module
 */
import type { Caller } from "../api/auth.js";
import { lookupBusiness } from "../businesses/registry.js";
import { ApiError, type ApiErrorCode } from "../errors.js";
import { flockConfigSchema } from "../models/flock.js";

/**
 * Who may call a route: `public` (no token), `read` (any principal), `flock` (admins, and
 * owners whose grant covers the flock named by `:flock` or the body's `name`), `admin`.
 */
export type Permission = "public" | "read" | "flock" | "admin";

/** What a check looks at besides the caller. */
export interface AccessRequest {
  params: Record<string, string>;
  body: unknown;
}

/** Checks a caller against a route's permission; throws a 403 ApiError when refused. */
export class Authorizer {
  constructor(private readonly opts: { repoUrlPrefixes: readonly string[] }) {}

  /** Throws 403 (`forbidden`, `scope_not_allowed`, …) unless `caller` may make the request. */
  check(caller: Caller | null, permission: Permission, req: AccessRequest): void {
    if (permission === "public") return;
    if (!caller) throw denied("forbidden", "This route needs a token");
    if (permission === "read") return;
    this.checkRepo(req.body);
    if (caller.role === "admin") return;
    if (caller.role === "viewer" || permission === "admin") throw denied("forbidden", `${caller.name} (${caller.role}) may not do this`);
    this.checkOwner(caller, req);
  }

  private checkOwner(caller: Caller, req: AccessRequest): void {
    const body = (typeof req.body === "object" && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const name = req.params["flock"] ?? body["name"];
    if (typeof name !== "string") return; // no flock named: the schema refuses the body with 422
    if (!caller.flocks.some((p) => globMatch(p, name))) throw denied("forbidden", `${caller.name} may not manage flock ${name}`);
    if (typeof body["count"] === "number" && body["count"] > caller.maxCount) {
      throw denied("count_not_allowed", `${caller.name} may run at most ${caller.maxCount} monkeys per flock`, "count");
    }
    if (req.params["flock"] !== undefined) return;
    const parsed = flockConfigSchema.safeParse(req.body);
    if (!parsed.success) return; // the handler answers 422 with the located problems
    const type = lookupBusiness(parsed.data.business.type)?.type ?? parsed.data.business.type;
    if (!caller.businesses.includes(type)) throw denied("business_not_allowed", `${caller.name} may not run ${type} flocks`, "business.type");
    const extra = parsed.data.scopes.filter((s) => !caller.scopes.includes(s));
    if (extra.length) throw denied("scope_not_allowed", `${caller.name} may not grant ${extra.join(", ")}`, "scopes");
  }

  private checkRepo(body: unknown): void {
    if (this.opts.repoUrlPrefixes.length === 0) return;
    const options = (body as { business?: { options?: { repo_url?: unknown } } } | null)?.business?.options;
    const url = typeof options === "object" && options !== null ? options.repo_url : undefined;
    if (typeof url !== "string") return;
    if (unsafePath(url)) {
      throw denied("repo_not_allowed", "repo_url may not contain '.' or '..' segments, empty segments, backslashes or encoded dots and slashes", "business.options.repo_url");
    }
    if (!this.opts.repoUrlPrefixes.some((p) => underPrefix(url, p))) {
      throw denied("repo_not_allowed", "repo_url is not under an allowed repository prefix (repoUrlPrefixes)", "business.options.repo_url");
    }
  }
}

/**
 * True when something in `url` could make git or a server resolve a path outside a prefix it
 * seems to be under: a `.` or `..` segment, an empty segment (`//` after the host), a
 * backslash, or a percent-encoded dot, slash or backslash.
 */
export function unsafePath(url: string): boolean {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  return /\\|%2e|%2f|%5c|\/\//i.test(rest) || rest.split(/[/:]/).some((s) => s === "." || s === "..");
}

/** A URL form with its scheme and host (authority) in lower case; other forms as they are. */
function normalized(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(.*)$/is.exec(url);
  return m ? m[1]!.toLowerCase() + m[2]! : url;
}

/**
 * Whether `url` is under `prefix` on a path-segment boundary: the prefix ends with `/` or `:`,
 * or what follows it is nothing, `/…` or exactly `.git` (so `…/lsst-sqre` does not admit
 * `…/lsst-sqre-evil`). Scheme and host compare case-insensitively.
 */
export function underPrefix(url: string, prefix: string): boolean {
  const u = normalized(url);
  const p = normalized(prefix);
  if (!p || !u.startsWith(p)) return false;
  const rest = u.slice(p.length);
  return p.endsWith("/") || p.endsWith(":") || rest === "" || rest.startsWith("/") || rest === ".git";
}

/** Whether a flock name matches a pattern where `*` stands for any run of characters. */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(name);
}

function denied(code: ApiErrorCode, message: string, path?: string): ApiError {
  return new ApiError({ code, status: 403, message, errors: path ? [{ path, message }] : [] });
}
