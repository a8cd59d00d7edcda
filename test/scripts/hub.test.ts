/**
 * Purpose: scripts/hub/{start,stop}.sh against a real JupyterHub. The shared hub of the global
 * setup answers; a second hub with a running server stops completely (hub, proxy, server gone,
 * API unreachable) and starts again in place: same URL, same admin token, same db. Ports the
 * scripts pick and the labs' ports lie outside the ephemeral range; kernels use Unix sockets.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

  it("picks free ports outside the ephemeral range, and says busy for a taken port", () => {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    const freePorts = (...args: number[]) => execFileSync("node", [new URL("../../scripts/lib/free-ports.mjs", import.meta.url).pathname, ...args.map(String)], { encoding: "utf8" }).trim();
    const ports = freePorts(0, 0, 0).split(" ").map(Number);
    expect(new Set(ports).size).toBe(3);
    for (const p of ports) expect(p < low! || p > high!).toBe(true);
    expect(freePorts(Number(new URL(inject("hub").url).port), 0)).toBe("busy");
  });

  it("runs the shared hub's labs on ports outside the ephemeral range and their kernels over Unix sockets", async () => {
    const hub = inject("hub");
    const admin = (method: string, path: string) => fetch(`${hub.apiUrl}${path}`, { method, headers: { authorization: `token ${hub.adminToken}` } });
    await admin("POST", "/users/probe-ports");
    await admin("POST", "/users/probe-ports/server");
    try {
      let user: any;
      for (let end = Date.now() + 30_000; !(user?.servers?.[""]?.ready) && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) user = await (await admin("GET", "/users/probe-ports")).json();
      const kernel = await (await fetch(`${hub.url}/user/probe-ports/api/kernels`, { method: "POST", headers: { authorization: `token ${hub.adminToken}` } })).json();
      expect(user.servers[""].ready).toBe(true);
      const found = execFileSync("find", [join(hub.stateDir, "k"), "-name", `kernel-${kernel.id}.json`], { encoding: "utf8" }).trim();
      expect(found).not.toBe("");
      const info = JSON.parse(readFileSync(found, "utf8"));
      expect(info.transport).toBe("ipc");
      const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
      const route = readFileSync(join(hub.stateDir, "jupyterhub.log"), "utf8").match(/Adding user probe-ports to proxy \S+ => http:\/\/127\.0\.0\.1:(\d+)/);
      expect(Number(route?.[1])).toBeLessThan(low!);
    } finally {
      await admin("DELETE", "/users/probe-ports/server");
    }
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
