/**
 * Authentication of API calls: `Authorization: Bearer <token>` against the configured
 * principals (whose tokens are stored only as SHA-256 hashes) and the plain admin token of
 * TROOP_API_TOKEN. Every hash is compared in constant time, always against every principal; a
 * client address with too many failures in a window gets 429 until the window passes. Identity
 * headers of an authenticating gateway, and the client address in `X-Forwarded-For`, are
 * believed from trusted proxies only (gateway.ts).
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Principal } from "../config/security-schema.js";
import { ApiError } from "../errors.js";
import type { GatewayIdentity, GatewayRequest } from "./gateway.js";

/** Who is calling: a configured principal, or `admin` for the plain API token. */
export type Caller = Pick<Principal, "name" | "role" | "flocks" | "businesses" | "scopes" | "maxCount">;

/** Options of {@link Authenticator}. */
export interface AuthOptions {
  apiToken?: string | undefined;
  principals: readonly Principal[];
  failedAuth: { maxFailures: number; window: number };
  now?: () => number;
  /** Identity headers from trusted proxies (see gateway.ts); absent: bearer tokens only. */
  gateway?: GatewayIdentity | undefined;
  /** Told each plain token that matched a principal (only hashes are configured), to scrub it. */
  onSecret?: (token: string) => void;
}

const ADDRESSES_KEPT = 10_000;
const BEARER = /^bearer\s+(\S{1,4096})\s*$/i;
/** Candidate tokens in a text: runs between whitespace, quotes, slashes and URL/JSON punctuation. */
const TOKEN_WORD = /[^\s"'`/\\?&:,;<>(){}[\]|#%]{12,512}/g;

/** Checks bearer tokens and rate-limits failures per client address. */
export class Authenticator {
  private readonly entries: { hash: Buffer; caller: Caller }[];
  private readonly hashes: Set<string>;
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: AuthOptions) {
    this.now = opts.now ?? Date.now;
    this.entries = opts.principals.map((p) => ({ hash: Buffer.from(p.tokenSha256.toLowerCase(), "hex"), caller: p }));
    if (opts.apiToken) this.entries.push({ hash: sha256(opts.apiToken), caller: { name: "admin", role: "admin", flocks: [], businesses: [], scopes: [], maxCount: 10_000 } });
    this.hashes = new Set(this.entries.map((e) => e.hash.toString("hex")));
  }

  /**
   * The caller of a request, or 401 `unauthorized` / 429 `too_many_failed_logins`. With
   * `gateway` identity from a trusted proxy, a bearer token of a principal still wins; otherwise
   * the gateway user is the caller, and no failure is counted against the proxy's address.
   * Failures are counted per client: the socket address, or from a trusted proxy the client it
   * reports in `X-Forwarded-For` ({@link GatewayIdentity.clientAddress}).
   */
  authenticate(header: string | undefined, address: string, gateway?: GatewayRequest): Caller {
    const viaGateway = gateway && this.opts.gateway ? this.opts.gateway.identify(gateway) : null;
    if (viaGateway) return this.match(header) ?? (viaGateway instanceof ApiError ? throwIt(viaGateway) : viaGateway);
    const client = gateway && this.opts.gateway ? this.opts.gateway.clientAddress(gateway) : address;
    this.refuseIfLimited(client);
    if (!BEARER.test(header ?? "")) throw this.fail(client, "Missing bearer token");
    const found = this.match(header);
    if (!found) throw this.fail(client, "Invalid token");
    return found;
  }

  /**
   * Replace every word of `text` whose SHA-256 is a principal's hash with `[REDACTED]`: a
   * principal token echoed in an error (a path, a query, a body) before it was ever presented
   * is known only by its hash, so the scrubber cannot know it yet. Words are runs of 12 to 512
   * characters between whitespace, quotes, slashes and URL/JSON punctuation.
   */
  redactPrincipalTokens(text: string): string {
    return text.replace(TOKEN_WORD, (word) => (this.hashes.has(sha256(word).toString("hex")) ? "[REDACTED]" : word));
  }

  /** The principal of a bearer header, compared in constant time against every one; or null. */
  private match(header: string | undefined): Caller | null {
    const m = BEARER.exec(header ?? "");
    if (!m) return null;
    const presented = sha256(m[1]!);
    let found: Caller | null = null;
    for (const e of this.entries) if (timingSafeEqual(presented, e.hash) && !found) found = e.caller;
    if (found) this.opts.onSecret?.(m[1]!);
    return found;
  }

  private refuseIfLimited(address: string): void {
    const f = this.failures.get(address);
    if (!f) return;
    if (this.now() - f.since >= this.opts.failedAuth.window) this.failures.delete(address);
    else if (f.count >= this.opts.failedAuth.maxFailures) {
      throw new ApiError({ code: "too_many_failed_logins", status: 429, message: "Too many failed authentications from this address; try again later" });
    }
  }

  private fail(address: string, message: string): ApiError {
    const f = this.failures.get(address);
    if (f) f.count += 1;
    else {
      if (this.failures.size >= ADDRESSES_KEPT) this.failures.delete(this.failures.keys().next().value!);
      this.failures.set(address, { count: 1, since: this.now() });
    }
    return new ApiError({ code: "unauthorized", status: 401, message });
  }
}

/** SHA-256 of a token as hex (what `tokenSha256` holds). */
export function tokenSha256(token: string): string {
  return sha256(token).toString("hex");
}

function throwIt(err: Error): never {
  throw err;
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
