/**
 * A small cookie jar for the Nublado "browser": keeps the cookies JupyterHub, the lab and the
 * hub's OAuth dance set, and sends back the ones a URL should get. Follows the parts of
 * RFC 6265 that matter here: host-only vs `Domain` cookies, `Path` scoping (the hub's `_xsrf`
 * lives under `/nb/hub/`, the lab's under `/nb/user/<name>/`), expiry (`Max-Age`, `Expires`)
 * and deletion. `Secure`, `SameSite` and public-suffix rules are not enforced: the jar only
 * ever talks to one platform.
 * @module
 */

interface StoredCookie {
  name: string;
  value: string;
  /** Lower-case host (host-only cookie) or domain (with `hostOnly` false). */
  domain: string;
  hostOnly: boolean;
  path: string;
  /** Epoch ms, or null for a session cookie. */
  expires: number | null;
}

/** Cookies of one client, shared by all its requests. */
export class CookieJar {
  private cookies: StoredCookie[] = [];

  /** Store every `Set-Cookie` header of a response to `url`. */
  store(url: string, setCookies: readonly string[]): void {
    const u = new URL(url);
    for (const line of setCookies) this.storeOne(u, line);
  }

  /** The `Cookie` header a request to `url` should carry, or undefined when there is none. */
  header(url: string): string | undefined {
    const matching = this.matching(new URL(url));
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join("; ") : undefined;
  }

  /** Value of cookie `name` as a request to `url` would send it (the most specific path wins). */
  get(name: string, url: string): string | undefined {
    return this.matching(new URL(url)).find((c) => c.name === name)?.value;
  }

  /** Forget everything. */
  clear(): void {
    this.cookies = [];
  }

  private matching(u: URL): StoredCookie[] {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === null || c.expires > now);
    const host = u.hostname.toLowerCase();
    return this.cookies
      .filter((c) => (c.hostOnly ? c.domain === host : domainMatch(host, c.domain)) && pathMatch(u.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
  }

  private storeOne(u: URL, line: string): void {
    const [pair = "", ...attrs] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = stripQuotes(pair.slice(eq + 1).trim());
    const host = u.hostname.toLowerCase();
    let domain = host;
    let hostOnly = true;
    let path: string | null = null;
    let expires: number | null = null;
    let maxAgeSeen = false;
    for (const attr of attrs) {
      const i = attr.indexOf("=");
      const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? "" : attr.slice(i + 1).trim();
      if (key === "domain" && val) {
        const d = val.replace(/^\./, "").toLowerCase();
        if (!domainMatch(host, d)) return; // a server may not set cookies for another domain
        domain = d;
        hostOnly = false;
      } else if (key === "path" && val.startsWith("/")) {
        path = val;
      } else if (key === "max-age" && /^-?\d+$/.test(val)) {
        maxAgeSeen = true;
        expires = Date.now() + Number(val) * 1000;
      } else if (key === "expires" && !maxAgeSeen) {
        const t = Date.parse(val);
        if (!Number.isNaN(t)) expires = t;
      }
    }
    const cookie: StoredCookie = { name, value, domain, hostOnly, path: path ?? defaultPath(u.pathname), expires };
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.domain === domain && c.path === cookie.path));
    if (expires === null || expires > Date.now()) this.cookies.push(cookie);
  }
}

/** RFC 6265 §5.1.4 default path: the request path up to (not including) its last `/`. */
function defaultPath(pathname: string): string {
  const i = pathname.lastIndexOf("/");
  return i <= 0 ? "/" : pathname.slice(0, i);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length) === "/";
}

/** RFC 6265 §5.1.3 domain-match (host names only; IP addresses must be identical). */
function domainMatch(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^[\d.]+$/.test(host));
}

function stripQuotes(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
