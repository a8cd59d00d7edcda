/**
 * Authentication of API calls: `Authorization: Bearer <token>` against the configured
 * principals (whose tokens are stored only as SHA-256 hashes) and the plain admin token of
 * TROOP_API_TOKEN. Every hash is compared in constant time, always against every principal; a
 * remote address with too many failures in a window gets 429 until the window passes.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Principal } from "../config/security-schema.js";
import { ApiError } from "../errors.js";

/** Who is calling: a configured principal, or `admin` for the plain API token. */
export type Caller = Pick<Principal, "name" | "role" | "flocks" | "businesses" | "scopes" | "maxCount">;

/** Options of {@link Authenticator}. */
export interface AuthOptions {
  apiToken?: string | undefined;
  principals: readonly Principal[];
  failedAuth: { maxFailures: number; window: number };
  now?: () => number;
}

const ADDRESSES_KEPT = 10_000;

/** Checks bearer tokens and rate-limits failures per remote address. */
export class Authenticator {
  private readonly entries: { hash: Buffer; caller: Caller }[];
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: AuthOptions) {
    this.now = opts.now ?? Date.now;
    this.entries = opts.principals.map((p) => ({ hash: Buffer.from(p.tokenSha256.toLowerCase(), "hex"), caller: p }));
    if (opts.apiToken) this.entries.push({ hash: sha256(opts.apiToken), caller: { name: "admin", role: "admin", flocks: [], businesses: [], scopes: [], maxCount: 10_000 } });
  }

  /** The caller of a request, or 401 `unauthorized` / 429 `too_many_failed_logins`. */
  authenticate(header: string | undefined, address: string): Caller {
    this.refuseIfLimited(address);
    const match = /^bearer\s+(\S{1,4096})\s*$/i.exec(header ?? "");
    if (!match) throw this.fail(address, "Missing bearer token");
    const presented = sha256(match[1]!);
    let found: Caller | null = null;
    for (const e of this.entries) if (timingSafeEqual(presented, e.hash) && !found) found = e.caller;
    if (!found) throw this.fail(address, "Invalid token");
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

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
