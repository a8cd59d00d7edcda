/**
 * The dashboard's HTML shells: one server-rendered page per view (overview, flock, executions,
 * execution, timings, audit) with the navigation, the token form and an empty `<main>` that the
 * client script (`app.js`) fills from the JSON API. A shell holds no data, so it needs no token.
 * @module
 */

/** The views of the dashboard; each is one shell rendered by {@link renderShell}. */
export type DashboardPage = "overview" | "flock" | "executions" | "execution" | "timings" | "audit";

const TITLES: Record<DashboardPage, string> = {
  overview: "Overview",
  flock: "Flock",
  executions: "Executions",
  execution: "Execution",
  timings: "Timings",
  audit: "Audit log",
};

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * The HTML of one view. `prefix` is the API's path prefix (the client calls `prefix + /flocks…`);
 * `arg` is the view's subject (a flock name, an execution id), passed to the script as data.
 */
export function renderShell(page: DashboardPage, opts: { prefix: string; arg?: string; version: string }): string {
  const ui = `${opts.prefix}/ui`;
  const link = (p: DashboardPage, href: string, label: string) =>
    `<a href="${escapeHtml(href)}"${p === page ? ' aria-current="page"' : ""}>${label}</a>`;
  const title = opts.arg ? `${TITLES[page]} ${opts.arg}` : TITLES[page];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Troop</title>
<link rel="stylesheet" href="${escapeHtml(ui)}/app.css">
<script type="module" src="${escapeHtml(ui)}/app.js"></script>
</head>
<body data-page="${page}" data-api="${escapeHtml(opts.prefix)}" data-arg="${escapeHtml(opts.arg ?? "")}">
<header><span class="brand">Troop</span><nav>
${link("overview", ui, "Overview")}
${link("executions", `${ui}/executions`, "Executions")}
${link("timings", `${ui}/timings`, "Timings")}
${link("audit", `${ui}/audit`, "Audit")}
</nav><button type="button" id="forget" hidden>Forget token</button></header>
<form id="login" hidden><label>API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Use token</button><p class="muted">Kept in this browser tab only (sessionStorage). Behind a proxy that adds the
<code>Authorization</code> header, no token is needed.</p></form>
<p id="status" role="status" class="muted">Loading…</p>
<main id="app"></main>
<footer class="muted">Troop ${escapeHtml(opts.version)} · <a href="${escapeHtml(opts.prefix)}/docs">API</a></footer>
</body></html>`;
}
