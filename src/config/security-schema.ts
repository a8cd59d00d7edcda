/**
 * The security part of the service config: API principals (tokens stored only as SHA-256
 * hashes, each with a role and, for owners, a grant that bounds what their flocks may do), the
 * allow-list of notebook repositories and the limit on failed authentication.
 * @module
 */
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
};
