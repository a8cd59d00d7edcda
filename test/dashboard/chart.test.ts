/**
 * The dashboard's p50/p95 line chart (src/dashboard/chart.js, run in the browser): the x axis
 * spans the window, or starts just before the first data of a flock younger than the window.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain browser module without type declarations
import { lineChart } from "../../src/dashboard/chart.js";

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
