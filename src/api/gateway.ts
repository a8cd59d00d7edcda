/**
 * Identity from an authenticating gateway (Gafaelfawr in front of Troop): the username header
 * (`X-Auth-Request-User`) and the token's scopes (`X-Auth-Request-Token-Scopes`,
 * space-separated), believed only when the TCP peer — the socket's own remote address, never
 * `X-Forwarded-For` — is one of the configured trusted proxies. The scopes map to a role by
 * the first matching rule of `gateway.roles`. From any other peer the headers are ignored, as
 * if absent. Behind a trusted proxy, failed authentications are counted against the client the
 * proxy reports (the rightmost `X-Forwarded-For` entry that is not itself a trusted proxy), so
 * that one bad client does not lock out every user of the proxy ({@link GatewayIdentity.clientAddress}).
 * @module
 */
import { BlockList, isIP } from "node:net";
import type { IncomingHttpHeaders } from "node:http";
import { parseCidr, type GatewayConfig } from "../config/security-schema.js";
import { ApiError } from "../errors.js";
import type { Caller } from "./auth.js";

/** What {@link GatewayIdentity.identify} needs of a request. */
export interface GatewayRequest {
  headers: IncomingHttpHeaders;
  /** The socket's remote address (not `req.ip` under a trustProxy setting). */
  remoteAddress: string | undefined;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const MAX_SCOPES = 200;
/** X-Forwarded-For entries looked at, from the right (the proxy appends the client last). */
const MAX_HOPS = 32;

/** Turns trusted identity headers into a {@link Caller}. */
export class GatewayIdentity {
  private readonly trusted = new BlockList();
  private readonly userHeader: string;
  private readonly scopesHeader: string;

  constructor(private readonly config: GatewayConfig) {
    for (const entry of config.trustedProxies) {
      const [address, prefix, family] = parseCidr(entry)!;
      this.trusted.addSubnet(address, prefix, family);
    }
    this.userHeader = config.userHeader.toLowerCase();
    this.scopesHeader = config.scopesHeader.toLowerCase();
  }

  /** Whether a socket address is a trusted proxy (IPv4-mapped IPv6 counts as IPv4). */
  isTrusted(address: string | undefined): boolean {
    if (!this.config.enabled || !address) return false;
    const plain = unmapped(address);
    return this.trusted.check(plain, plain.includes(":") ? "ipv6" : "ipv4");
  }

  /**
   * The address to count failed authentications against. From an untrusted peer (or with the
   * gateway off): the socket address, whatever the headers say. From a trusted proxy: the
   * rightmost `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its left
   * may be forged by the client); if that entry is not an IP address, or the header is absent,
   * `proxy:<socket address>` — one counter for the proxy, as before.
   */
  clientAddress(req: GatewayRequest): string {
    const peer = req.remoteAddress ?? "unknown";
    if (!this.isTrusted(req.remoteAddress)) return peer;
    const raw = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(raw) ? raw.join(",") : (raw ?? "")).split(",");
    let client: string | null = null;
    for (let i = hops.length - 1; i >= Math.max(0, hops.length - MAX_HOPS); i--) {
      const hop = unmapped(hops[i]!.trim());
      if (!isIP(hop)) break;
      client = hop;
      if (!this.isTrusted(hop)) break;
    }
    return client ?? `proxy:${peer}`;
  }

  /**
   * The gateway caller, null when the gateway is off, the peer is not trusted or no username
   * header came, or an ApiError (401 malformed username, 403 no role) to answer with.
   */
  identify(req: GatewayRequest): Caller | ApiError | null {
    if (!this.isTrusted(req.remoteAddress)) return null;
    const user = req.headers[this.userHeader];
    if (user === undefined) return null;
    if (typeof user !== "string" || !USERNAME.test(user)) return new ApiError({ code: "unauthorized", status: 401, message: `Malformed ${this.config.userHeader} header from the gateway` });
    const raw = req.headers[this.scopesHeader];
    const scopes = new Set((typeof raw === "string" ? raw : "").split(/[\s,]+/).filter(Boolean).slice(0, MAX_SCOPES));
    const name = `gateway:${user}`;
    const rule = this.config.roles.find((r) => scopes.has(r.scope));
    if (!rule) {
      if (this.config.noRole === "viewer") return { name, role: "viewer", flocks: [], businesses: [], scopes: [], maxCount: 1 };
      return new ApiError({ code: "forbidden", status: 403, message: `${name} has no gateway scope that maps to a Troop role` });
    }
    if (rule.role !== "owner") return { name, role: rule.role, flocks: [], businesses: [], scopes: [], maxCount: rule.role === "admin" ? 10_000 : 1 };
    const grant = this.config.grants[rule.grant!]!;
    return { name, role: "owner", flocks: grant.flocks, businesses: grant.businesses, scopes: grant.scopes, maxCount: grant.maxCount };
  }
}

/** An IPv4-mapped IPv6 address as plain IPv4; any other address unchanged. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
