// Troop dashboard client (plain ES module, no build step, no outside request): renders the view
// named by <body data-page> from Troop's JSON API, with the operator's token from sessionStorage
// (or none, behind a proxy that injects the Authorization header). Every value is escaped.
import { audit } from "./audit.js";
import { sparkline } from "./chart.js";
import { timingsOverTime } from "./timings.js";

const D = document.body.dataset;
const API = D.api;
const UI = `${API}/ui`;
const TOKEN = "troop-token";
const $ = (s) => document.querySelector(s);
const enc = encodeURIComponent;
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const ms = (v) => (v == null ? "–" : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(v < 1e4 ? 2 : 1)} s`);
const pct = (r) => (r == null ? "–" : `${(r * 100).toFixed(1)} %`);
const when = (t) => (t ? new Date(t).toLocaleString() : "–");
const errText = (e) => (e.exception && !e.message.startsWith(e.exception) ? `${e.exception}: ${e.message}` : e.message);
const resultBadge = (r) => `<span class="badge ${r === "success" ? "ok" : r === "failure" ? "bad" : "muted"}">${esc(r)}</span>`;
// Column heads: "#" right-aligns (numbers), "~" hides on a phone (give its cells class hide-sm too).
const table = (head, rows) => `<div class="table-wrap"><table><thead><tr>${head.map((h) => `<th class="${h.includes("#") ? "num" : ""} ${h.includes("~") ? "hide-sm" : ""}">${esc(h.replace(/^[#~]+/, ""))}</th>`).join("")}</tr></thead><tbody>${rows.join("") || `<tr><td colspan="${head.length}" class="muted">None</td></tr>`}</tbody></table></div>`;
const status = (text, cls = "muted") => { const s = $("#status"); s.textContent = text; s.className = cls; s.hidden = !text; };

class AuthNeeded extends Error {}

/** Calls the API under the prefix; JSON in and out (text for text/plain). */
async function api(path, { method = "GET", body, raw = false } = {}) {
  const headers = { accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  if (res.status === 401) throw new AuthNeeded(token ? "The token was refused" : "An API token is needed");
  if (raw && res.ok) return res;
  const text = await res.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* text body */ }
  const where = res.status === 422 && data?.errors?.length ? ` (${data.errors.map((e) => `${e.path}: ${e.message}`).join("; ")})` : "";
  if (!res.ok) throw new Error(`${res.status} ${data?.code ?? ""}: ${data?.message ?? text}${where}`);
  return data;
}

/** Hides values of keys that look secret, in a copy of a configuration. */
function redact(v) {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, /token|secret|password|passwd|credential|api[_-]?key|cookie|webhook/i.test(k) ? "<redacted>" : redact(x)]));
  return v;
}

/** The "CI checks" section (GitHub pull-request checks), when the integration is on. */
function ciChecks(gh) {
  if (!gh) return "";
  const badge = (c) => (c.status !== "completed" ? `<span class="badge muted">${esc(c.status)}</span>` : `<span class="badge ${c.conclusion === "success" ? "ok" : c.conclusion === "failure" ? "bad" : "muted"}">${esc(c.conclusion)}</span>`);
  const rows = gh.recent.map((c) => `<tr><td>${esc(c.repo)}${c.pr_number ? ` #${c.pr_number}` : ""}</td><td><code>${esc(c.head_sha.slice(0, 10))}</code></td><td>${badge(c)}</td><td class="num">${c.notebooks}</td><td class="num ${c.failures ? "bad" : ""}">${c.failures}</td><td class="hide-sm">${when(c.created_at)}</td></tr>`);
  return `<h2 id="ci-checks">CI checks</h2><p class="muted">${esc(gh.check_name)}: ${gh.queued} queued, ${gh.in_progress} running (concurrency ${gh.concurrency})${gh.reports_pending ? `, ${gh.reports_pending} completed but not yet reported to GitHub (delivered again later)` : ""}</p>${table(["Pull request", "Commit", "Check", "#Notebooks", "#Failures", "~Queued at"], rows)}`;
}

async function overview(app) {
  const summary = await api("/summary");
  const { flocks } = summary;
  // hourly figures and the failing run, computed by the server over the whole history
  const acts = await Promise.all(flocks.map((f) => api(`/flocks/${enc(f.name)}/activity`).catch(() => null)));
  const classes = {};
  let execs = 0, fails = 0, ok = 0;
  const rows = flocks.map((f, i) => {
    const w = f.windows["24h"];
    execs += w.executions; fails += w.failures; ok += w.successes;
    for (const [k, n] of Object.entries(w.failure_classes)) classes[k] = (classes[k] ?? 0) + n;
    return `<tr><td><a href="${UI}/flocks/${enc(f.name)}">${esc(f.name)}</a>${f.paused ? ' <span class="badge warn">paused</span>' : ""}</td><td class="hide-sm">${esc(f.business)}</td><td class="num">${f.monkey_count}</td><td class="num">${w.executions}</td><td class="num ${w.failures ? "bad" : ""}">${w.failures}</td><td class="num">${pct(w.success_rate)}</td><td>${acts[i] ? sparkline(acts[i].hours, { esc }) : '<span class="muted">–</span>'}</td></tr>`;
  });
  const failing = flocks.map((f, i) => [f, acts[i]?.failing]).filter(([, r]) => r);
  const paused = flocks.filter((f) => f.paused);
  const errName = (e) => e.error?.exception ?? e.error?.failure_class ?? "failure";
  app.innerHTML = `<h1>Last 24 hours</h1>
<div class="cards"><div class="card">Flocks<b>${flocks.length}</b></div><div class="card">Executions<b>${execs}</b></div><div class="card">Failures<b class="${fails ? "bad" : ""}">${fails}</b></div><div class="card">Success rate<b>${pct(ok + fails ? ok / (ok + fails) : null)}</b></div></div>
<h2>Flocks</h2>${table(["Flock", "~Business", "#Monkeys", "#Executions", "#Failures", "#Success", "Per hour"], rows)}
<h2 id="failing-now">Failing now</h2>${table(["Flock", "Failing since", "Last error"], failing.map(([f, r]) => `<tr><td><a href="${UI}/flocks/${enc(f.name)}">${esc(f.name)}</a></td><td><a href="${UI}/executions/${enc(r.first.id)}" title="first failure of the run">${when(r.since)}</a></td><td><a href="${UI}/executions/${enc(r.last.id)}">${esc(errName(r.last))}</a> in ${esc(r.last.error?.phase)}</td></tr>`))}
<h2>Failure classes</h2>${table(["Class", "#Failures"], Object.entries(classes).sort((a, b) => b[1] - a[1]).map(([k, n]) => `<tr><td><a href="${UI}/executions?result=failure&class=${enc(k)}">${esc(k)}</a></td><td class="num">${n}</td></tr>`))}
<h2>Paused</h2><p>${paused.length ? paused.map((f) => `<a href="${UI}/flocks/${enc(f.name)}">${esc(f.name)}</a>`).join(", ") : '<span class="muted">No paused flock</span>'}</p>${ciChecks(summary.github)}`;
}

function executionRows(items, withFlock) {
  return items.map((e) => `<tr><td><a href="${UI}/executions/${enc(e.id)}">${when(e.started_at)}</a></td>${withFlock ? `<td>${e.flock === null ? '<span class="muted">solitary</span>' : esc(e.flock)}</td>` : ""}<td class="hide-sm">${esc(e.monkey)}</td><td>${resultBadge(e.result)}</td><td>${esc(e.error?.phase ?? "")}</td><td class="hide-sm">${esc(e.error?.failure_class ?? "")}</td><td>${esc(e.error ? errText(e.error).slice(0, 120) : e.notebook ?? "")}</td><td class="num">${ms(e.duration_ms)}</td></tr>`);
}
const execHead = (withFlock) => ["Started", ...(withFlock ? ["Flock"] : []), "~Monkey", "Result", "Phase", "~Class", "Error / notebook", "#Duration"];

/** Whether the caller (`GET /whoami`; null: unknown, so offer everything) may change `flock`, as the API's authorizer decides. */
function mayManage(me, flock) {
  if (!me || me.role === "admin") return true;
  if (me.role !== "owner") return false;
  return me.flocks.some((p) => new RegExp(`^${p.split("*").map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(flock));
}

async function flock(app, name) {
  const [f, s, page, me] = await Promise.all([api(`/flocks/${enc(name)}`), api(`/flocks/${enc(name)}/summary`), api(`/flocks/${enc(name)}/executions?limit=25`), api("/whoami").catch(() => null)]);
  const may = mayManage(me, name); // only what the API would allow (it still decides: a refusal is shown)
  const w = s.windows["24h"];
  const monkeys = f.monkeys.map((m) => `<tr><td>${esc(m.name)}</td><td><span class="badge ${m.state === "error" ? "bad" : m.state === "paused" ? "warn" : ""}">${esc(m.state)}</span></td><td>${esc(m.business.phase ?? "–")}</td><td class="num">${m.business.success_count}</td><td class="num">${m.business.failure_count}</td><td><button type="button" data-log="${esc(m.name)}">Log</button></td></tr>`);
  app.innerHTML = `<h1>${esc(f.name)} ${f.paused ? '<span class="badge warn" id="state">paused</span>' : '<span class="badge ok" id="state">running</span>'}</h1>
<dl class="facts"><dt>Business</dt><dd>${esc(s.business)}</dd><dt>Source</dt><dd>${esc(f.source)}</dd><dt>Started</dt><dd>${when(s.start_time)}</dd><dt>Last 24 h</dt><dd>${w.executions} executions, ${w.failures} failures, ${pct(w.success_rate)}</dd></dl>
${may ? `<div class="actions"><button type="button" data-act="${f.paused ? "resume" : "pause"}">${f.paused ? "Resume" : "Pause"}</button><button type="button" data-act="refresh">Refresh notebooks</button>
<label>Monkeys <input type="number" id="count" min="1"${me?.max_count ? ` max="${me.max_count}"` : ""} value="${f.monkeys.length}" size="4"></label><button type="button" data-act="count">Set count</button><button type="button" class="danger" data-act="stop">Stop flock</button></div>
<p id="action-result" role="status"></p>` : `<p id="read-only" class="muted">Read only: ${esc(me.name)} (${esc(me.role)}) may not change this flock.</p>`}
<h2>Monkeys</h2>${table(["Monkey", "State", "Phase", "#Successes", "#Failures", "Log"], monkeys)}<pre id="log" hidden></pre>
<h2>Recent executions</h2>${table(execHead(false), executionRows(page.executions, false))}<p><a href="${UI}/executions?flock=${enc(name)}">All executions of ${esc(name)}</a></p>
<h2>Configuration</h2><pre>${esc(JSON.stringify(redact(f.config), null, 2))}</pre>`;
  const out = $("#action-result");
  const act = async (what) => {
    const base = `/flocks/${enc(name)}`;
    if (what === "stop" && !confirm(`Stop flock ${name}? Its labs are deleted and tokens revoked.`)) return;
    out.textContent = `${what}…`; out.className = "muted";
    try {
      if (what === "pause" || what === "resume") await api(`${base}/${what}`, { method: "POST" });
      else if (what === "refresh") { const r = await api(`${base}/refresh`, { method: "POST" }); out.textContent = `Refresh requested for ${r.monkeys} monkeys`; out.className = "ok"; return; }
      else if (what === "count") await api(base, { method: "PATCH", body: { count: Number($("#count").value) } });
      else if (what === "stop") { await api(base, { method: "DELETE" }); location.href = UI; return; }
      await render();
    } catch (err) { out.textContent = err.message; out.className = "error"; }
  };
  app.querySelectorAll("[data-act]").forEach((b) => b.addEventListener("click", () => act(b.dataset.act)));
  app.querySelectorAll("[data-log]").forEach((b) => b.addEventListener("click", async () => {
    const pre = $("#log");
    pre.hidden = false;
    pre.textContent = await api(`/flocks/${enc(name)}/monkeys/${enc(b.dataset.log)}/log`).catch((e) => e.message);
  }));
}

async function executions(app) {
  const q = new URLSearchParams(location.search);
  const { flocks } = await api("/summary");
  // "_solitary" (not a valid flock name) stands for the stored POST /run results (flock null)
  const names = q.get("flock") ? [q.get("flock")] : [...flocks.map((f) => f.name), "_solitary"];
  const params = new URLSearchParams({ limit: "200" });
  if (q.get("result")) params.set("result", q.get("result"));
  if (q.get("class")) params.set("failure_class", q.get("class")); // filtered by the server, older failures included
  for (const k of ["since", "until"]) if (q.get(k)) params.set(k, new Date(q.get(k)).toISOString());
  const problems = new Set();
  const pages = await Promise.all(names.map((n) => api(`${n === "_solitary" ? "/solitary" : `/flocks/${enc(n)}`}/executions?${params}`).catch((err) => {
    if (!/^404 /.test(err.message)) problems.add(err.message); // a flock gone meanwhile is no problem; a refused filter is
    return { executions: [] };
  })));
  const items = pages.flatMap((p) => p.executions).sort((a, b) => (a.id < b.id ? 1 : -1));
  const opt = (v, label, cur) => `<option value="${esc(v)}"${v === (cur ?? "") ? " selected" : ""}>${esc(label)}</option>`;
  app.innerHTML = `<h1>Executions</h1>
<form class="filters" method="get"><label>Flock<select name="flock">${opt("", "All", q.get("flock"))}${flocks.map((f) => opt(f.name, f.name, q.get("flock"))).join("")}${opt("_solitary", "Solitary runs", q.get("flock"))}</select></label>
<label>Result<select name="result">${["", "success", "failure", "skipped"].map((r) => opt(r, r || "Any", q.get("result"))).join("")}</select></label>
<label>Failure class<input name="class" list="classes" value="${esc(q.get("class") ?? "")}" placeholder="code_error" size="12"></label><datalist id="classes">${[...new Set(flocks.flatMap((f) => Object.keys(f.windows["7d"].failure_classes)))].sort().map((c) => `<option value="${esc(c)}">`).join("")}</datalist>
<label>Since<input type="datetime-local" name="since" value="${esc(q.get("since") ?? "")}"></label><label>Until<input type="datetime-local" name="until" value="${esc(q.get("until") ?? "")}"></label>
<button type="submit">Filter</button></form>
${[...problems].map((m) => `<p class="error">${esc(m)}</p>`).join("")}<p class="muted">${items.length} executions (up to 200 per flock, newest first)</p>${table(execHead(true), executionRows(items, true))}`;
}

/** The phase timeline as SVG bars, one row per phase, on the execution's time axis. */
function timeline(e) {
  const t0 = Date.parse(e.started_at), total = Math.max(1, e.duration_ms);
  const rows = e.phases.map((p, i) => {
    const x = 130 + ((Date.parse(p.started_at) - t0) / total) * 440, wd = Math.max(2, (p.duration_ms / total) * 440);
    const label = x + wd > 500 ? `x="${(x - 4).toFixed(1)}" text-anchor="end"` : `x="${(x + wd + 4).toFixed(1)}"`;
    return `<text x="0" y="${i * 20 + 13}">${esc(p.name)}</text><rect class="${p.ok ? "s" : "f"}" x="${x.toFixed(1)}" y="${i * 20 + 3}" width="${wd.toFixed(1)}" height="13"/><text ${label} y="${i * 20 + 13}">${esc(ms(p.duration_ms))}</text>`;
  });
  return `<svg class="timeline" viewBox="0 0 640 ${e.phases.length * 20 + 4}" role="img" aria-label="phase timeline">${rows.join("")}</svg>`;
}

async function execution(app, id) {
  const e = await api(`/executions/${enc(id)}`);
  const r = e.record, err = r.error;
  app.innerHTML = `<h1>Execution ${resultBadge(e.result)}</h1>
<dl class="facts"><dt>Flock</dt><dd>${e.flock ? `<a href="${UI}/flocks/${enc(e.flock)}">${esc(e.flock)}</a>` : "–"}</dd><dt>Monkey</dt><dd>${esc(e.monkey)}</dd><dt>Business</dt><dd>${esc(e.business)}</dd>
<dt>Started</dt><dd>${when(e.started_at)}</dd><dt>Duration</dt><dd>${ms(e.duration_ms)}</dd><dt>Image</dt><dd>${esc(r.image?.description ?? r.image?.reference ?? "–")}</dd>
${e.notebook ? `<dt>Notebook</dt><dd>${esc(e.notebook)}${e.cell_number ? `, cell ${e.cell_number}` : ""}${e.commit ? ` @ ${esc(e.commit.slice(0, 12))}` : ""}</dd>` : ""}${r.note ? `<dt>Note</dt><dd>${esc(r.note)}</dd>` : ""}<dt>Id</dt><dd><code>${esc(e.id)}</code></dd></dl>
${e.artifact ? '<p><button type="button" id="artifact">Download executed notebook</button></p>' : ""}
<h2>Phases</h2>${timeline(r)}
${err ? `<h2>Error</h2><p class="error" id="error-message">${esc(err.phase)} · ${esc(err.failure_class)}: ${esc(errText(err))}</p>
${err.code ? `<h3>${err.cell_number ? `Cell ${err.cell_number} source` : "Code"}</h3><pre class="code" id="code">${esc(err.code)}</pre>` : ""}
${err.traceback ? `<h3>Traceback</h3><pre id="traceback">${esc(err.traceback)}</pre>` : ""}${err.output_tail ? `<h3>Output</h3><pre>${esc(err.output_tail)}</pre>` : ""}` : ""}
<h2>Monkey log</h2><pre id="monkey-log" class="muted">Loading…</pre>
<details><summary>Raw JSON record</summary><pre id="raw">${esc(JSON.stringify(JSON.parse(e.raw), null, 2))}</pre></details>`;
  $("#artifact")?.addEventListener("click", async () => {
    const res = await api(`/artifacts/${enc(e.artifact)}`, { raw: true });
    const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await res.blob()), download: `${e.artifact}.ipynb` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  const log = $("#monkey-log");
  if (!e.flock) { log.textContent = "No log (not a flock execution)"; return; }
  try {
    const lines = String(await api(`/flocks/${enc(e.flock)}/monkeys/${enc(e.monkey)}/log`)).split("\n");
    const from = Date.parse(e.started_at) - 250, to = Date.parse(e.ended_at) + 250;
    const inside = lines.filter((l) => { const t = Date.parse(l.slice(0, 24)); return t >= from && t <= to; });
    log.textContent = (inside.length ? inside : ["(no line in this execution's time range; the last lines:)", ...lines.slice(-30)]).join("\n");
    log.className = "";
  } catch (err) { log.textContent = `Log not available: ${err.message} (kept in memory while the flock runs)`; }
}

async function timings(app) {
  const { flocks } = await api("/summary");
  const win = new URLSearchParams(location.search).get("window") ?? "24h";
  const bars = (entries) => {
    const max = Math.max(1, ...entries.map(([, q]) => q.p95_ms ?? 0));
    return `<svg class="timeline" viewBox="0 0 640 ${entries.length * 20 + 4}" role="img" aria-label="p50 and p95">${entries.map(([k, q], i) => `<text x="0" y="${i * 20 + 13}">${esc(k.slice(-22))}</text><rect class="k" x="170" y="${i * 20 + 3}" width="${(((q.p95_ms ?? 0) / max) * 330).toFixed(1)}" height="13"/><rect class="s" x="170" y="${i * 20 + 3}" width="${(((q.p50_ms ?? 0) / max) * 330).toFixed(1)}" height="13"/><text x="${(175 + ((q.p95_ms ?? 0) / max) * 330).toFixed(1)}" y="${i * 20 + 13}">${esc(ms(q.p50_ms))} / ${esc(ms(q.p95_ms))}</text>`).join("")}</svg>`;
  };
  app.innerHTML = `<h1>Timings</h1><p>Window: ${["1h", "24h", "7d"].map((w) => (w === win ? `<b>${w}</b>` : `<a href="?window=${w}">${w}</a>`)).join(" · ")} — bars: <span class="ok">p50</span> over p95</p>` +
    flocks.map((f) => {
      const w = f.windows[win] ?? f.windows["24h"];
      const phases = Object.entries(w.phases), nbs = Object.entries(w.notebooks);
      return `<h2><a href="${UI}/flocks/${enc(f.name)}">${esc(f.name)}</a></h2>${phases.length ? bars(phases) : ""}
${table(["Phase", "#Count", "#p50", "#p95"], phases.map(([k, q]) => `<tr><td>${esc(k)}</td><td class="num">${q.count}</td><td class="num">${ms(q.p50_ms)}</td><td class="num">${ms(q.p95_ms)}</td></tr>`))}
${nbs.length ? table(["Notebook", "#Runs", "#Failures", "#p50", "#p95"], nbs.map(([k, q]) => `<tr><td>${esc(k)}</td><td class="num">${q.count}</td><td class="num">${q.failures}</td><td class="num">${ms(q.p50_ms)}</td><td class="num">${ms(q.p95_ms)}</td></tr>`)) : ""}`;
    }).join("");
  app.querySelector("h1").insertAdjacentHTML("afterend", '<section id="over-time"><p class="muted">Loading charts…</p></section>');
  await timingsOverTime($("#over-time"), flocks, H);
}

// Helpers handed to the views kept in their own modules (timings.js, audit.js).
const H = { api, esc, enc, ms, when, table, UI };

const VIEWS = { overview, flock, executions, execution, timings, audit: (app) => audit(app, H) };

async function render() {
  const app = $("#app");
  $("#forget").hidden = !sessionStorage.getItem(TOKEN);
  try {
    status("Loading…");
    await VIEWS[D.page](app, D.arg);
    status("");
    document.body.dataset.ready = "1";
  } catch (err) {
    if (err instanceof AuthNeeded) { $("#login").hidden = false; status(err.message, "error"); return; }
    status(err.message, "error");
  }
}

$("#login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN, new FormData(ev.target).get("token"));
  $("#login").hidden = true;
  render();
});
$("#forget").addEventListener("click", () => { sessionStorage.removeItem(TOKEN); location.reload(); });
render();
