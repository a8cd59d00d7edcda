/**
 * Turning schema validation issues into plain located problems (`path` in the document plus
 * what was expected), shared by the config loader, the API and the CLI.
 * @module
 */
import type { z } from "zod";
import { businessTypeNames } from "../businesses/registry.js";
import type { ErrorLocation } from "../errors.js";

/** A path as operators write it: `autostart[0].business.options.max_executions`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(document)";
}

/** One located problem per issue (unknown keys get one each, at the key). */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown key "${key}"` });
    } else if (issue.code === "invalid_union" && (issue as { discriminator?: string }).discriminator) {
      const disc = (issue as { discriminator?: string }).discriminator!;
      const atDisc = path.at(-1) === disc ? path : [...path, disc];
      const allowed = disc === "type" ? businessTypeNames : [];
      out.push({ path: atDisc, message: allowed.length ? `expected one of: ${allowed.join(", ")}` : `invalid or missing "${disc}"` });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/** Issues as `{path, message}` for API error bodies. */
export function issuesToLocations(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ErrorLocation[] {
  return flattenIssues(issues, prefix).map((i) => ({ path: formatPath(i.path), message: i.message }));
}
