// Troop dashboard: the "over time" part of the Timings page — p50/p95 line charts of a phase
// (spawn time by default), of the notebook duration and of the cell durations, for one flock and
// optionally one notebook, from GET /flocks/{flock}/timings. The choice is kept in the URL.
import { lineChart } from "./chart.js";

const RANGES = { "5m": 3e5, "15m": 9e5, "1h": 36e5, "6h": 216e5, "24h": 864e5, "7d": 6048e5 };

/**
 * Renders into `el` (a section of the Timings page). `flocks` are the summary's flocks; `h` the
 * page's helpers: api, esc, enc, ms, UI.
 */
export async function timingsOverTime(el, flocks, h) {
  const { api, esc, enc, ms } = h;
  const q = new URLSearchParams(location.search);
  if (!flocks.length) { el.innerHTML = '<h2>Over time</h2><p class="muted">No flock</p>'; return; }
  const flock = flocks.some((f) => f.name === q.get("flock")) ? q.get("flock") : flocks[0].name;
  const range = RANGES[q.get("range")] ? q.get("range") : "24h";
  const notebook = q.get("notebook") ?? "";
  const cell = q.get("cell") ?? "";
  const since = new Date(Date.now() - RANGES[range]).toISOString();
  const get = (metric, extra = {}) => {
    const p = new URLSearchParams({ metric, since, ...(notebook ? { notebook } : {}), ...extra });
    return api(`/flocks/${enc(flock)}/timings?${p}`);
  };
  let phase = q.get("phase") ?? "spawn_lab";
  let main = await get(`phase:${phase}`);
  if (main.total.count === 0 && main.phases.length && !main.phases.includes(phase)) {
    phase = main.phases.includes("spawn_lab") ? "spawn_lab" : main.phases[0]; // e.g. another flock's phase
    main = await get(`phase:${phase}`);
  }
  const charts = [[`Phase ${phase}`, main]];
  if (main.notebooks.length) {
    const [nb, cells] = await Promise.all([get("notebook"), get("cell", cell ? { cell } : {})]);
    charts.push([`Notebook duration${notebook ? "" : " (all notebooks)"}`, nb], [`Cell duration${cell ? ` (cell ${cell})` : " (every cell)"}`, cells]);
  }
  const opt = (v, label, cur) => `<option value="${esc(v)}"${v === cur ? " selected" : ""}>${esc(label)}</option>`;
  const phases = main.phases.includes(phase) ? main.phases : [phase, ...main.phases];
  el.innerHTML = `<h2>Over time</h2>
<form class="filters" method="get" id="timings-form">
<label>Flock<select name="flock">${flocks.map((f) => opt(f.name, f.name, flock)).join("")}</select></label>
<label>Phase<select name="phase">${phases.map((p) => opt(p, p, phase)).join("")}</select></label>
<label>Notebook<select name="notebook">${opt("", "All", notebook)}${main.notebooks.map((n) => opt(n, n, notebook)).join("")}</select></label>
${main.notebooks.length ? `<label>Cell<input type="number" name="cell" min="1" size="4" value="${esc(cell)}" placeholder="all"></label>` : ""}
<label>Range<select name="range">${Object.keys(RANGES).map((r) => opt(r, `last ${r}`, range)).join("")}</select></label>
${q.get("window") ? `<input type="hidden" name="window" value="${esc(q.get("window"))}">` : ""}
<button type="submit">Show</button></form>
<p class="muted legend"><span class="key p50"></span> p50 <span class="key p95"></span> p95 — per ${main.bucket_ms % 6e4 ? `${main.bucket_ms / 1e3} s` : main.bucket_ms % 36e5 ? `${main.bucket_ms / 6e4} min` : `${main.bucket_ms / 36e5} h`} bucket; ${main.scanned} executions read${main.truncated ? " (the newest only: range truncated)" : ""}</p>
${charts.map(([title, t], i) => `<figure class="timing" id="timing-${i}"><figcaption><b>${esc(title)}</b> <span class="muted">${t.total.count} durations · p50 ${esc(ms(t.total.p50_ms))} · p95 ${esc(ms(t.total.p95_ms))}</span></figcaption>
${t.total.count ? lineChart(t, { esc, label: title }) : '<p class="muted">No data in this range</p>'}</figure>`).join("")}`;
  el.querySelectorAll("#timings-form select").forEach((s) => s.addEventListener("change", () => el.querySelector("#timings-form").requestSubmit()));
}
