/**
 * Is a flock's `repo_url` the repository a push went to, and its `repo_ref` the ref pushed?
 * Repository identity ignores the URL scheme and form (https, `git@host:org/repo`, ssh://,
 * git://), credentials, a `.git` suffix, trailing slashes and case; refs match by full name
 * (`refs/heads/main`) or short name (`main`, a tag `v1`).
 * @module
 */

/** A comparable identity of a repository URL: `host/path` in lower case (local paths: the path). */
export function repoIdentity(url: string): string {
  let u = url.trim();
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(u); // git@github.com:org/repo
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `${scp[1]}/${scp[2]}`;
  else {
    const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/]*)(.*)$/i.exec(u);
    if (m) u = `${m[1]!.replace(/:\d+$/, "")}${m[2]}`;
  }
  return u
    .replace(/[?#].*$/, "")
    .replace(/\/+$/, "")
    .replace(/\.git$/i, "")
    .replace(/\/+$/, "")
    .toLowerCase();
}

/** True when two URLs name the same repository. */
export function sameRepo(a: string, b: string): boolean {
  return repoIdentity(a) === repoIdentity(b);
}

/** True when a flock's `repo_ref` names the ref a push updated (`refs/heads/x` or `refs/tags/x`). */
export function refMatches(pushedRef: string, repoRef: string): boolean {
  if (pushedRef === repoRef) return true;
  const short = pushedRef.replace(/^refs\/(heads|tags)\//, "");
  return short !== pushedRef && (repoRef === short || repoRef === `heads/${short}` || repoRef === `tags/${short}`);
}
