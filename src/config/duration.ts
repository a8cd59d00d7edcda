/**
 * Durations as mobu writes them: a number of seconds (`90`, `1.5`) or a string of unit parts
 * (`"5m30s"`, `"1h"`, `"250ms"`, `"2d"`). Parsed to milliseconds.
 * @module
 */
import { z } from "zod";

const UNIT_MS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const PART = /(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/gy;

/** Parse a duration string to milliseconds; `null` when it is not a duration. */
export function parseDuration(text: string): number | null {
  const s = text.trim().replace(/\s+/g, "");
  if (s === "") return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  let match: RegExpExecArray | null;
  while ((match = PART.exec(s)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    end = PART.lastIndex;
  }
  return end === s.length ? Math.round(total) : null;
}

/** Schema of a duration: accepts seconds or a unit string, outputs milliseconds. */
export function duration(description: string) {
  return z
    .union([z.number().nonnegative(), z.string()])
    .transform((value, ctx) => {
      const ms = typeof value === "number" ? Math.round(value * 1000) : parseDuration(value);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: `expected a duration such as "5m30s", "10s" or a number of seconds, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description, examples: ["10s", "5m30s", 60] });
}
