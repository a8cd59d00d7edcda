/**
 * The dashboard's charts (src/dashboard/chart.js, run in the browser): the p50/p95 line chart's
 * x axis spans the window, or starts just before the first data of a flock younger than the
 * window; the overview's sparkline draws the server's hourly figures as they are.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain browser module without type declarations
import { lineChart, sparkline } from "../../src/dashboard/chart.js";

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const BUCKET = 5000;
const since = Date.parse("2026-11-21T12:00:00Z");

/** A 5-minute window of 5 s buckets with data in buckets `from`…59 only. */
function timings(from: number) {
  const buckets = Array.from({ length: 60 }, (_, i) => ({
    start: new Date(since + i * BUCKET).toISOString(),
    count: i >= from ? 2 : 0,
    p50_ms: i >= from ? 80 : null,
    p95_ms: i >= from ? 100 : null,
  }));
  return { since: new Date(since).toISOString(), until: new Date(since + 60 * BUCKET).toISOString(), bucket_ms: BUCKET, buckets };
}

/** x of the first point of the p50 line. */
const firstX = (svg: string) => Number(/class="line p50" d="M([\d.]+)/.exec(svg)![1]);

describe("lineChart", () => {
  it("starts the x axis one bucket before the first data of a young flock, and says so", () => {
    const svg: string = lineChart(timings(56), { esc, label: "execute_code" });
    expect(firstX(svg)).toBeLessThan(250); // 1.5 of 5 buckets into the 58…630 plot; ~610 on the full window
    expect(svg).toMatch(/no data before /);
  });

  it("keeps the whole window when data starts with it, without a note", () => {
    const svg: string = lineChart(timings(0), { esc, label: "execute_code" });
    expect(firstX(svg)).toBeLessThan(70);
    expect(svg).not.toMatch(/no data before/);
  });

  it("draws an empty window on its full range", () => {
    const svg: string = lineChart(timings(60), { esc, label: "execute_code" });
    expect(svg).toMatch(/class="line p50" d=""/);
    expect(svg).not.toMatch(/no data before/);
  });
});

describe("sparkline", () => {
  const hours = Array.from({ length: 24 }, (_, i) => ({ start: new Date(since + i * 3_600_000).toISOString(), executions: i === 5 ? 400 : i % 4 === 0 ? 100 : 0, failures: i === 5 ? 100 : i === 8 ? 100 : 0 }));
  const bars = (svg: string) => [...svg.matchAll(/<rect class="(s|f)" x="(\d+)" y="([\d.]+)" width="3" height="([\d.]+)"\/>/g)].map((m) => ({ cls: m[1], x: Number(m[2]), y: Number(m[3]), h: Number(m[4]) }));

  it("draws one bar per hour scaled to the busiest hour, failures red at the bottom", () => {
    const svg: string = sparkline(hours, { esc });
    const b = bars(svg);
    expect(b).toHaveLength(48);
    const at = (i: number, cls: string) => b.find((r) => r.x === i * 4 && r.cls === cls)!;
    expect(at(5, "s").h + at(5, "f").h).toBeCloseTo(20, 5); // the busiest hour is full height
    expect(at(5, "f").h).toBeCloseTo(5, 5);
    expect(at(5, "f").y).toBeCloseTo(17, 5);
    expect(at(8, "f").h).toBeCloseTo(5, 5); // 100 failures of 100 executions: all red
    expect(at(8, "s").h).toBe(0);
    expect(at(4, "s").h).toBeCloseTo(5, 5);
    expect(at(1, "s").h + at(1, "f").h).toBe(0);
    expect(svg.match(/<title>[^<]*: 400 executions, 100 failures<\/title>/g)).toHaveLength(1);
    expect(svg).toContain('aria-label="executions per hour, last 24 h"');
  });

  it("draws an idle day as empty bars", () => {
    const b = bars(sparkline(hours.map((h) => ({ ...h, executions: 0, failures: 0 })), { esc }));
    expect(b.every((r) => r.h === 0)).toBe(true);
  });
});
