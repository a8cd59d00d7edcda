/**
 * The `git` command line as a narrow client: a shallow checkout of one ref of a repository
 * into a folder, and the commit it got. Credentials never reach a message: URLs with a
 * user/password part are redacted in everything git prints. Git never prompts.
 * @module
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { redactUrl } from "./http.js";

/** Git failed; the message is git's own (last lines of stderr), with credentials removed. */
export class GitError extends Error {
  override readonly name = "GitError";
}

const GIT_ENV = {
  GIT_TERMINAL_PROMPT: "0",
  GCM_INTERACTIVE: "never",
  GIT_ASKPASS: "true",
  SSH_ASKPASS: "true",
  GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
  LC_ALL: "C",
};

export { redactUrl };

/** Run git; resolves with stdout, rejects with {@link GitError} carrying git's message. */
export function git(args: readonly string[], opts: { cwd?: string; signal?: AbortSignal; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd: opts.cwd, signal: opts.signal, env: { ...process.env, ...GIT_ENV, ...opts.env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      const said = stderr.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("hint:")).join(" / ").slice(0, 600);
      reject(new GitError(redactUrl(`git ${args[0] ?? ""} failed: ${said || err.message}`)));
    });
  });
}

/**
 * Environment that gives git one extra HTTP header (e.g. `Authorization: Basic …`) through
 * `GIT_CONFIG_*` variables: unlike a URL with credentials it is in no process's command line
 * (readable by every user in `ps`) and never written into the checkout's config.
 */
export function headerEnv(header: string | undefined): Record<string, string> {
  return header ? { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: header } : {};
}

const LOOKS_LIKE_COMMIT = /^[0-9a-f]{7,40}$/i;

/**
 * Check out `ref` (branch, tag or commit) of `url` into the new folder `dir` with history depth
 * 1 and return the commit hash. The URL is passed on the command line only, never written
 * into the checkout's config. A commit that the server will not serve by hash is found by
 * fetching every branch and tag (without depth) as a fallback.
 */
export async function shallowCheckout(opts: { url: string; ref: string; dir: string; signal?: AbortSignal; header?: string }): Promise<string> {
  const { url, ref, dir, signal } = opts;
  const env = headerEnv(opts.header);
  if (ref.startsWith("-") || url.startsWith("-")) throw new GitError(`refusing a URL or ref that starts with "-"`);
  await mkdir(dir, { recursive: true });
  await git(["init", "-q", dir], { signal });
  let target = "FETCH_HEAD";
  try {
    await git(["fetch", "-q", "--depth", "1", "--no-tags", "--", url, ref], { cwd: dir, signal, env });
  } catch (err) {
    if (!LOOKS_LIKE_COMMIT.test(ref)) throw err;
    await git(["fetch", "-q", "--", url, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"], { cwd: dir, signal, env });
    target = ref;
  }
  await git(["-c", "advice.detachedHead=false", "checkout", "-q", "--detach", target], { cwd: dir, signal });
  return (await git(["rev-parse", "HEAD"], { cwd: dir, signal })).trim();
}

/** The commit of a local working tree, or null when `dir` is not in a git repository. */
export async function headCommit(dir: string): Promise<string | null> {
  try {
    return (await git(["rev-parse", "HEAD"], { cwd: dir })).trim();
  } catch {
    return null;
  }
}
