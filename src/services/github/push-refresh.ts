/**
 * Refresh on push: every running flock whose business is a notebook runner and whose
 * `repo_url` and `repo_ref` name the pushed repository and ref is refreshed through
 * `FlockManager.refreshFlock`, the method behind `POST /flocks/{flock}/refresh`; its monkeys
 * pick up the new commit at their next notebook boundary.
 * @module
 */
import { lookupBusiness } from "../../businesses/registry.js";
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

/** Refresh every matching flock; returns their names. */
export function refreshForPush(manager: FlockManager, push: PushTarget): string[] {
  const names = matchingFlocks(manager, push);
  for (const name of names) manager.refreshFlock(name);
  return names;
}
