/**
 * Purpose: scripts/tap/{start,stop}.sh against a real DaCHS: the test data is served (TAP and
 * SIAv2), a second start reuses the running server, stop leaves no process, and a stopped server
 * starts again in place (same port, same data, no re-import); --rm removes the state.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NO_TAP, startRealTap } from "../support/real-tap.js";

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function count(tapUrl: string): Promise<string> {
  const body = new URLSearchParams({ LANG: "ADQL", REQUEST: "doQuery", QUERY: "SELECT COUNT(*) FROM troop.objects", RESPONSEFORMAT: "csv" });
  const res = await fetch(`${tapUrl}/sync`, { method: "POST", body });
  return (await res.text()).trim().split(/\r?\n/).pop()!;
}

describe.skipIf(NO_TAP)("scripts/tap", () => {
  it("serves the test data, is reused while running, stops completely and restarts in place", async () => {
    const tap = await startRealTap();
    try {
      const pids = [Number(tap.env.TAP_PID), Number(tap.env.PG_PID)];
      expect(pids.every(alive)).toBe(true);
      expect(await count(tap.tapUrl)).toBe("1000");
      const sia = await (await fetch(`${tap.siaUrl}?POS=${encodeURIComponent("CIRCLE 13.5 0 0.2")}`)).text();
      expect(sia).toMatch(/<INFO name="QUERY_STATUS" value="OK"/);

      const t = Date.now();
      await tap.start(); // reuse
      expect(Date.now() - t).toBeLessThan(5000);
      expect(Number(tap.env.TAP_PID)).toBe(pids[0]);

      await tap.stop({ rm: false });
      expect(pids.filter(alive)).toEqual([]);
      await expect(fetch(`${tap.tapUrl}/availability`)).rejects.toThrow();
      const url = tap.tapUrl;
      await tap.start(); // restart in place
      expect(tap.tapUrl).toBe(url);
      expect(await count(tap.tapUrl)).toBe("1000");
    } finally {
      await tap.stop();
    }
    expect(existsSync(tap.stateDir)).toBe(false);
  }, 300_000);
});
