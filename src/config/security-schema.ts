/**
 * The security part of the service config: API principals (tokens stored only as SHA-256
 * hashes, each with a role and, for owners, a grant that bounds what their flocks may do), the
 * allow-list of notebook repositories, the limit on failed authentication and the optional
 * gateway (identity headers from an authenticating proxy, believed only from trusted addresses).
 * @module
 */
import { isIP } from "node:net";
import { z } from "zod";
import { duration } from "./duration.js";

/** A flock-name pattern: letters, digits, `.`, `_`, `-` and `*` (any run of characters). */
const flockPattern = z.string().regex(/^[A-Za-z0-9_.*-]+$/, "flock patterns use letters, digits, '.', '_', '-' and '*'").max(64);

/** One API principal. */
export const principalSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, "principal names use letters, digits, '.', '_', '@' and '-'").max(64).meta({ description: "Who the caller is, in the audit log" }),
    role: z.enum(["admin", "owner", "viewer"]).meta({ description: "admin: everything; owner: manage matching flocks within its grant, read everything; viewer: read-only" }),
    tokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "expected the SHA-256 of the token as 64 hex digits (printf %s \"$TOKEN\" | sha256sum)")
      .meta({ description: "SHA-256 (hex) of the bearer token; the token itself is never stored" }),
    flocks: z.array(flockPattern).default([]).meta({ description: "Owners: names of the flocks they manage (globs, e.g. tap-*)", examples: [["tap-*"]] }),
    businesses: z.array(z.string().min(1)).default([]).meta({ description: "Owners: business types their flocks may run (empty: none)", examples: [["TAPQueryRunner"]] }),
    scopes: z.array(z.string().min(1)).default([]).meta({ description: "Owners: the scopes their flocks' bot tokens may have (a flock's scopes must be a subset)" }),
    maxCount: z.number().int().min(1).max(10_000).default(1).meta({ description: "Owners: largest count of a flock they manage" }),
  })
  .superRefine((p, ctx) => {
    if (p.role !== "owner" && (p.flocks.length || p.businesses.length || p.scopes.length)) {
      ctx.addIssue({ code: "custom", path: ["role"], message: "flocks, businesses and scopes are grants of owners only" });
    }
    if (p.role === "owner" && p.flocks.length === 0) ctx.addIssue({ code: "custom", path: ["flocks"], message: "an owner needs at least one flock pattern" });
  });

export type Principal = z.output<typeof principalSchema>;

/** A trusted proxy: an IPv4/IPv6 address or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
const proxyAddress = z.string().refine((s) => parseCidr(s) !== null, "expected an IP address or a CIDR block such as 10.0.0.0/8");

/** What an owner mapped from a gateway scope may do (as an owner principal's grant). */
const gatewayGrantSchema = z.strictObject({
  flocks: z.array(flockPattern).min(1, "a grant needs at least one flock pattern").meta({ description: "Names of the flocks managed (globs)", examples: [["tap-*"]] }),
  businesses: z.array(z.string().min(1)).default([]).meta({ description: "Business types their flocks may run" }),
  scopes: z.array(z.string().min(1)).default([]).meta({ description: "Scopes their flocks' bot tokens may have" }),
  maxCount: z.number().int().min(1).max(10_000).default(1).meta({ description: "Largest count of a flock they manage" }),
});

/** One gateway scope → role rule; the first rule whose scope the caller's token has decides. */
const gatewayRoleSchema = z.strictObject({
  scope: z.string().regex(/^\S+$/, "a scope has no spaces").max(200).meta({ description: "A scope of the gateway token", examples: ["exec:admin"] }),
  role: z.enum(["admin", "owner", "viewer"]),
  grant: z.string().min(1).optional().meta({ description: "Owners: the name of the grant in gateway.grants" }),
});

/** `gateway`: trust identity headers set by an authenticating proxy (Gafaelfawr). Off by default. */
export const gatewayConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ description: "Accept identity headers from the trusted proxies" }),
    trustedProxies: z.array(proxyAddress).default([]).meta({ description: "Socket addresses (IPs or CIDRs) whose identity headers are believed; X-Forwarded-For is never read", examples: [["10.0.0.0/8"]] }),
    userHeader: z.string().regex(/^[A-Za-z0-9-]+$/).default("X-Auth-Request-User").meta({ description: "Header with the authenticated username" }),
    scopesHeader: z.string().regex(/^[A-Za-z0-9-]+$/).default("X-Auth-Request-Token-Scopes").meta({ description: "Header with the token's scopes, space-separated" }),
    roles: z.array(gatewayRoleSchema).default([]).meta({ description: "Scope → role rules, tried in order" }),
    grants: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), gatewayGrantSchema).default({}).meta({ description: "Named owner grants used by roles[].grant" }),
    noRole: z.enum(["forbidden", "viewer"]).default("forbidden").meta({ description: "A gateway user no rule matches: 403 forbidden, or a viewer" }),
  })
  .superRefine((g, ctx) => {
    if (g.enabled && g.trustedProxies.length === 0) ctx.addIssue({ code: "custom", path: ["trustedProxies"], message: "an enabled gateway needs at least one trusted proxy address" });
    g.roles.forEach((r, i) => {
      if (r.role === "owner" && r.grant === undefined) ctx.addIssue({ code: "custom", path: ["roles", i, "grant"], message: "an owner rule needs a grant" });
      if (r.role !== "owner" && r.grant !== undefined) ctx.addIssue({ code: "custom", path: ["roles", i, "grant"], message: "only owner rules have a grant" });
      if (r.grant !== undefined && !(r.grant in g.grants)) ctx.addIssue({ code: "custom", path: ["roles", i, "grant"], message: `no grant named ${r.grant} in gateway.grants` });
    });
  });

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** An address or CIDR as [address, prefix length, family], or null when it is neither. */
export function parseCidr(s: string): [string, number, "ipv4" | "ipv6"] | null {
  const [addr = "", bits, ...rest] = s.split("/");
  const family = isIP(addr);
  if (rest.length || family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  return prefix >= 0 && prefix <= max ? [addr, prefix, family === 4 ? "ipv4" : "ipv6"] : null;
}

/** The top-level keys this module adds to the service config. */
export const securityConfigShape = {
  principals: z
    .array(principalSchema)
    .default([])
    .superRefine((list, ctx) => {
      const names = new Set<string>();
      const hashes = new Set<string>();
      list.forEach((p, i) => {
        if (names.has(p.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate principal name ${p.name}` });
        if (hashes.has(p.tokenSha256.toLowerCase())) ctx.addIssue({ code: "custom", path: [i, "tokenSha256"], message: "two principals share a token" });
        names.add(p.name);
        hashes.add(p.tokenSha256.toLowerCase());
      });
    })
    .meta({ description: "API callers besides the admin of TROOP_API_TOKEN, each with a hashed token and a role" }),
  repoUrlPrefixes: z
    .array(z.string().min(1))
    .default([])
    .meta({ description: "When not empty, a notebook flock's repo_url (created through the API) must start with one of these", examples: [["https://github.com/lsst-sqre/"]] }),
  failedAuth: z
    .strictObject({
      maxFailures: z.number().int().min(1).max(100_000).default(20).meta({ description: "Failed authentications allowed per remote address in `window`" }),
      window: duration("Window of the failed-authentication limit").default(60_000),
    })
    .prefault({})
    .meta({ description: "Rate limit on failed authentication: beyond it, 429 too_many_failed_logins until the window passes" }),
  gateway: gatewayConfigSchema.prefault({}).meta({ description: "Identity headers from an authenticating proxy (Gafaelfawr), believed only from trustedProxies" }),
};
