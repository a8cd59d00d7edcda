/**
 * What the benchmarks measured: the commit, whether src/ had uncommitted changes, and when
 * dist/ was built (benchmarks import ../dist/, which `npm run bench` rebuilds from the working tree).
 * @module
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export function buildInfo() {
  const git = (...args) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return null;
    }
  };
  let distBuilt = null;
  try {
    distBuilt = statSync(join(ROOT, "dist", "container.js")).mtime.toISOString().replace(/\.\d+Z$/, "Z");
  } catch {
    // no dist
  }
  const dirty = git("status", "--porcelain", "--", "src");
  return { commit: git("rev-parse", "--short", "HEAD"), srcDirty: dirty === null ? null : dirty.length > 0, distBuilt };
}

/** One line for a report: "dist/ built 2026-…Z from abc1234 (+ uncommitted changes in src/)". */
export function describeBuild(infos) {
  const seen = [...new Set(infos.filter(Boolean).map((b) => `dist/ built ${b.distBuilt ?? "?"} from ${b.commit ?? "?"}${b.srcDirty ? " + uncommitted changes in src/" : ""}`))];
  return seen.length ? seen.join("; ") : "unknown build";
}
