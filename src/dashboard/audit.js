// Troop dashboard: the Audit page — who changed what, when, with the flock before and after as
// a diff of changed keys (already redacted by GET /audit, which only admins may read; anyone
// else gets a plain "admin only" notice). Pages with the API's `before` cursor.

const LIMIT = 50;

/** Flattens a JSON value to { "a.b[0]": leaf }. */
function flatten(v, path = "", out = {}) {
  if (v && typeof v === "object" && !(Array.isArray(v) && v.length === 0) && Object.keys(v).length) {
    for (const [k, x] of Object.entries(v)) flatten(x, Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k, out);
  } else if (path) out[path] = v;
  return out;
}

/** The changed keys between two snapshots: [path, before, after] (undefined: absent). */
export function diff(before, after) {
  const a = flatten(before ?? {}), b = flatten(after ?? {});
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => [k, a[k], b[k]]);
}

/** Renders the audit log into `app`; `h` holds the page's helpers (api, esc, enc, when, table, UI). */
export async function audit(app, h) {
  const { api, esc, enc, when, table, UI } = h;
  const q = new URLSearchParams(location.search);
  const params = new URLSearchParams({ limit: String(LIMIT) });
  if (q.get("flock")) params.set("flock", q.get("flock"));
  if (q.get("before")) params.set("before", q.get("before"));
  let entries;
  try {
    entries = await api(`/audit?${params}`);
  } catch (err) {
    if (!/^403\b/.test(err.message)) throw err;
    app.innerHTML = `<h1>Audit log</h1><p class="notice" id="admin-only"><b>Admin only.</b> The audit log can be read with an admin token; this token may not read it.</p>
<p class="muted">Use <b>Forget token</b> above to sign in with another token.</p>`;
    return;
  }
  const val = (v) => (v === undefined ? '<span class="muted">–</span>' : `<code>${esc(JSON.stringify(v).slice(0, 160))}</code>`);
  const rows = entries.map((e) => {
    const changes = diff(e.before, e.after);
    const shown = changes.slice(0, 12).map(([k, b, a]) => `<li><code>${esc(k)}</code>: ${val(b)} → ${val(a)}</li>`).join("");
    const more = changes.length > 12 ? `<li class="muted">…${changes.length - 12} more</li>` : "";
    const full = e.before != null || e.after != null ? `<details><summary>Before / after</summary><pre>${esc(JSON.stringify({ before: e.before, after: e.after }, null, 2))}</pre></details>` : "";
    const summary = e.before == null && e.after != null ? `<span class="ok">new</span> <span class="muted">(${changes.length} settings; see before / after)</span>`
      : e.after == null && e.before != null ? '<span class="bad">deleted</span>'
      : changes.length ? `<ul class="diff">${shown}${more}</ul>` : '<span class="muted">no change in the flock</span>';
    return `<tr><td>${esc(when(e.at))}</td><td>${esc(e.actor)} <span class="muted">(${esc(e.role)})</span></td><td><b>${esc(e.action)}</b></td><td>${e.flock ? `<a href="${UI}/flocks/${enc(e.flock)}">${esc(e.flock)}</a>` : "–"}</td><td>${summary}${full}</td></tr>`;
  });
  const last = entries.at(-1);
  const older = entries.length === LIMIT && last ? `?${new URLSearchParams({ ...(q.get("flock") ? { flock: q.get("flock") } : {}), before: String(last.id) })}` : null;
  app.innerHTML = `<h1>Audit log</h1>
<form class="filters" method="get"><label>Flock<input name="flock" value="${esc(q.get("flock") ?? "")}" size="16" placeholder="any"></label><button type="submit">Filter</button></form>
<p class="muted">Changes made through the API and refreshes caused by GitHub pushes, newest first; secrets are redacted by the API.</p>
${table(["When", "Who", "What", "Flock", "Changes"], rows)}
<p>${q.get("before") ? `<a href="${UI}/audit${q.get("flock") ? `?flock=${enc(q.get("flock"))}` : ""}">Newest</a> · ` : ""}${older ? `<a href="${UI}/audit${older}" id="older">Older</a>` : ""}</p>`;
}
