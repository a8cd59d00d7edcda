/**
 * Purpose: scripts/hub/{start,stop}.sh against a real JupyterHub. The shared hub of the global
 * setup answers; a second hub with a running server stops completely (hub, proxy, server gone,
 * API unreachable) and starts again in place: same URL, same admin token, same db.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { startRealHub, type RealHub } from "../support/real-hub.js";

/** Running and not a zombie (init may reap orphans lazily). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitReady(hub: RealHub, user: string): Promise<number> {
  for (let end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const server = (await hub.adminGet(`/users/${user}`)).servers?.[""];
    if (server?.ready) return server.state.pid as number;
  }
  throw new Error(`server of ${user} not ready after 30 s`);
}

describe.skipIf(process.env.TROOP_TEST_NO_HUB === "1")("scripts/hub", () => {
  it("the shared hub answers GET /hub/api/ with a version", async () => {
    const hub = inject("hub");
    const res = await fetch(`${hub.apiUrl}/`);
    expect(res.status).toBe(200);
    expect((await res.json()).version).toMatch(/^\d+\.\d+/);
  });

  it("a second hub stops, starts again at the same URL with the same token, and is removed", async () => {
    const hub = await startRealHub();
    try {
      const { url, adminToken, stateDir } = hub;
      expect(url).not.toBe(inject("hub").url);
      const me = await hub.adminGet("/user");
      expect(me).toMatchObject({ kind: "service", name: "troop-admin" });
      expect(me.scopes).toEqual(expect.arrayContaining(["admin:users", "admin:servers", "tokens", "access:servers"]));

      await hub.adminRequest("POST", "/users/probe");
      await hub.adminRequest("POST", "/users/probe/server");
      const pids = [Number(hub.env.JH_PID), Number(hub.env.JH_PROXY_PID), await waitReady(hub, "probe")];
      expect(pids.every(alive)).toBe(true);

      await hub.stop();
      expect(pids.filter(alive)).toEqual([]);
      await expect(fetch(`${url}/hub/api/`)).rejects.toThrow();
      expect(existsSync(`${stateDir}/peer.env`)).toBe(true);

      await hub.start();
      expect(hub.url).toBe(url);
      expect(hub.adminToken).toBe(adminToken);
      expect((await hub.adminGet("/")).version).toMatch(/^\d+\.\d+/);
      const probe = await hub.adminGet("/users/probe"); // the db survived; cleanup_servers ran
      expect(probe).toMatchObject({ name: "probe", servers: {} });
    } finally {
      await hub.stop({ rm: true });
    }
    expect(existsSync(hub.stateDir)).toBe(false);
  });
});
