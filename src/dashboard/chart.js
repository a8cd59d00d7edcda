// Troop dashboard: inline SVG charts (no library, no outside request) — a line chart of p50 and
// p95 per time bucket (buckets without data break the lines; a lone point is drawn as a dot) and
// the overview's hourly sparkline. Labels are escaped by the caller's `esc`.

const W = 640, H = 220, L = 58, R = 10, T = 10, B = 26;

/** "1.2 s" / "340 ms" for an axis label. */
function short(v) {
  if (v >= 60_000) return `${(v / 60_000).toFixed(v >= 600_000 ? 0 : 1)} min`;
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} s`;
  return `${Math.round(v)} ms`;
}

/** A "nice" step (1, 2 or 5 × 10^n) giving about `n` intervals up to `max`. */
function niceStep(max, n) {
  const raw = max / n, p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/**
 * The SVG of `t` (a `GET /flocks/{flock}/timings` answer): x is time from `t.since` to `t.until`,
 * or from one bucket before the first data when the window starts before it (a young flock would
 * otherwise be a few pixels at the right edge; the chart then says "no data before …"); y is the
 * duration from 0; one line per quantile (p95 grey, p50 green), the bucket midpoints.
 */
export function lineChart(t, { esc, label }) {
  const since = Date.parse(t.since), t1 = Date.parse(t.until);
  const first = t.buckets.find((b) => b.p50_ms != null || b.p95_ms != null);
  const t0 = first ? Math.max(since, Date.parse(first.start) - t.bucket_ms) : since, span = Math.max(1, t1 - t0);
  const top = Math.max(1, ...t.buckets.map((b) => b.p95_ms ?? 0)) * 1.1;
  const step = niceStep(top, 4);
  const x = (ms) => L + ((ms - t0) / span) * (W - L - R);
  const y = (v) => H - B - (v / (Math.ceil(top / step) * step)) * (H - B - T);
  const grid = [];
  for (let v = 0; v <= Math.ceil(top / step) * step + 1e-9; v += step) {
    grid.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${L - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(short(v))}</text>`);
  }
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const ms = t0 + (span * i) / ticks, d = new Date(ms);
    const text = span > 2 * 864e5 ? d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + d.toLocaleTimeString([], { hour: "2-digit" }) : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", ...(span < 36e5 ? { second: "2-digit" } : {}) });
    grid.push(`<text class="axis" x="${x(ms).toFixed(1)}" y="${H - 8}" text-anchor="${i === 0 ? "start" : i === ticks ? "end" : "middle"}">${esc(text)}</text>`);
  }
  const series = ["p95_ms", "p50_ms"].map((key) => {
    let d = "", prev = false;
    const dots = [];
    t.buckets.forEach((b, i) => {
      const v = b[key];
      if (v == null) { prev = false; return; }
      const px = x(Date.parse(b.start) + t.bucket_ms / 2).toFixed(1), py = y(v).toFixed(1);
      d += `${prev ? "L" : "M"}${px} ${py} `;
      const lone = !prev && t.buckets[i + 1]?.[key] == null;
      if (lone) dots.push(`<circle class="${key === "p50_ms" ? "p50" : "p95"}" cx="${px}" cy="${py}" r="3"><title>${esc(`${b.start}: ${key.slice(0, 3)} ${short(v)} (${b.count})`)}</title></circle>`);
      prev = true;
    });
    return `<path class="line ${key === "p50_ms" ? "p50" : "p95"}" d="${d.trim()}"/>${dots.join("")}`;
  });
  const note = t0 > since ? `<text class="axis note" x="${L + 6}" y="${T + 12}">no data before ${esc(new Date(Date.parse(first.start)).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }))}</text>` : "";
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}: p50 and p95 over time"><line class="axisline" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>${grid.join("")}${note}${series.join("")}</svg>`;
}

/**
 * The overview's sparkline: one bar per hour of `hours` (`GET /flocks/{flock}/activity`, oldest
 * first), failures red at the bottom and the other executions green above, scaled to the
 * busiest hour; each bar says its hour and figures in a tooltip.
 */
export function sparkline(hours, { esc }) {
  const max = Math.max(1, ...hours.map((h) => h.executions));
  const bars = hours.map((h, i) => {
    const hf = (h.failures / max) * 20, hs = ((h.executions - h.failures) / max) * 20;
    const at = new Date(h.start).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return `<g data-start="${esc(h.start)}"><title>${esc(`${at}: ${h.executions} executions, ${h.failures} failures`)}</title><rect class="s" x="${i * 4}" y="${(22 - hs - hf).toFixed(2)}" width="3" height="${hs.toFixed(2)}"/><rect class="f" x="${i * 4}" y="${(22 - hf).toFixed(2)}" width="3" height="${hf.toFixed(2)}"/></g>`;
  });
  return `<svg class="spark" width="${hours.length * 4}" height="22" viewBox="0 0 ${hours.length * 4} 22" role="img" aria-label="executions per hour, last 24 h">${bars.join("")}</svg>`;
}
