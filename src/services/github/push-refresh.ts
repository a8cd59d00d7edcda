/**
 * Refresh on push: every running flock whose business is a notebook runner and whose
 * `repo_url` and `repo_ref` name the pushed repository and ref is refreshed through
 * `FlockManager.refreshFlock`, the method behind `POST /flocks/{flock}/refresh`; its monkeys
 * pick up the new commit at their next notebook boundary. Each refresh is recorded in the audit
 * log as done by `github:<delivery id>`, with the push (repository, ref, commit) in `after`.
 * @module
 */
import { lookupBusiness } from "../../businesses/registry.js";
import type { AuditService } from "../audit.js";
import type { FlockManager } from "../flock-manager.js";
import { refMatches, sameRepo } from "./repo-identity.js";

/** Business types whose flocks a push refreshes. */
export const NOTEBOOK_RUNNERS: readonly string[] = ["NotebookRunnerCounting", "NotebookRunnerList", "NotebookRunnerInfinite"];

/** What a push names: the repository's URLs (clone, ssh, html…) and the full ref. */
export interface PushTarget {
  urls: readonly string[];
  ref: string;
}

/** The flocks a push concerns (by name). */
export function matchingFlocks(manager: Pick<FlockManager, "listFlocks" | "getFlock">, push: PushTarget): string[] {
  return manager.listFlocks().filter((name) => {
    const flock = manager.getFlock(name);
    if (!NOTEBOOK_RUNNERS.includes(flock.definition.type)) return false;
    const business = (flock.storedConfig["business"] ?? {}) as { type?: string; options?: unknown };
    const parsed = lookupBusiness(flock.definition.type)?.optionsSchema.safeParse(business.options ?? {});
    if (!parsed?.success) return false;
    const { repo_url: url, repo_ref: ref } = parsed.data as { repo_url: string; repo_ref: string };
    return push.urls.some((u) => sameRepo(u, url)) && refMatches(push.ref, ref);
  });
}

/** Where a push's refreshes are recorded, and what the entries say of the push. */
export interface PushAudit {
  audit: Pick<AuditService, "record" | "snapshot">;
  /** `X-GitHub-Delivery`; not covered by the signature, so kept only when it looks like GitHub's GUID. */
  delivery: string | undefined;
  repository: string;
  /** The pushed commit (`after`), when the payload names one. */
  commit: string | null;
}

/** The audit actor of a delivery: `github:<delivery id>`. */
export function deliveryActor(delivery: string | undefined): string {
  return `github:${delivery && /^[0-9a-f-]{1,64}$/i.test(delivery) ? delivery : "unknown-delivery"}`;
}

/** Refresh every matching flock, recording each in the audit log when `log` is given; returns their names. */
export async function refreshForPush(manager: FlockManager, push: PushTarget, log?: PushAudit): Promise<string[]> {
  const names = matchingFlocks(manager, push);
  for (const name of names) {
    const before = log?.audit.snapshot(name) ?? null;
    manager.refreshFlock(name);
    if (!log) continue;
    const after = { ...(log.audit.snapshot(name) as Record<string, unknown> | null), push: { repository: log.repository, ref: push.ref, commit: log.commit } };
    await log.audit.record({ actor: deliveryActor(log.delivery), role: "github", action: "refresh_flock", flock: name, before, after });
  }
  return names;
}
