/**
 * HttpClient's per-origin limit of requests in flight: never more than the limit at the server,
 * the others served in order once a slot frees, a waiting request that is aborted leaves the
 * line without taking a slot, and origins are limited separately.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "../../src/clients/http.js";

interface Held {
  server: Server;
  url: string;
  inFlight: () => number;
  maxInFlight: () => number;
  /** Answer every request held so far. */
  releaseAll: () => void;
  order: string[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

/** A server that holds every request until released. */
async function heldServer(): Promise<Held> {
  let inFlight = 0;
  let maxInFlight = 0;
  const held: ServerResponse[] = [];
  const order: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    order.push(req.url ?? "");
    res.on("finish", () => inFlight--);
    held.push(res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    releaseAll: () => {
      for (const res of held.splice(0)) res.end("{}");
    },
    order,
  };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe("HttpClient in-flight limit", () => {
  it("keeps at most the limit in flight per origin and serves the others in order", async () => {
    const s = await heldServer();
    const http = new HttpClient("test", 3);
    const signal = AbortSignal.timeout(10_000);
    const all = Array.from({ length: 10 }, (_, i) => http.request(`${s.url}/r${i}`, { signal }).then((r) => r.json()));
    await until(() => s.inFlight() === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.inFlight()).toBe(3);
    while (s.order.length < 10 || s.inFlight() > 0) {
      s.releaseAll();
      await new Promise((r) => setTimeout(r, 10));
    }
    await expect(Promise.all(all)).resolves.toHaveLength(10);
    expect(s.maxInFlight()).toBe(3);
    expect(s.order).toEqual(Array.from({ length: 10 }, (_, i) => `/r${i}`));
  });

  it("drops an aborted waiting request from the line without leaking its slot", async () => {
    const s = await heldServer();
    const http = new HttpClient("test", 1);
    const first = http.request(`${s.url}/first`, { signal: AbortSignal.timeout(10_000) });
    await until(() => s.inFlight() === 1);
    const controller = new AbortController();
    const waiting = http.request(`${s.url}/aborted`, { signal: controller.signal });
    const third = http.request(`${s.url}/third`, { signal: AbortSignal.timeout(10_000) });
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
    s.releaseAll();
    await first;
    await until(() => s.order.length === 2);
    s.releaseAll();
    await third;
    expect(s.order).toEqual(["/first", "/third"]);
    // every slot came back: a new request goes straight through
    const again = http.request(`${s.url}/again`, { signal: AbortSignal.timeout(10_000) });
    await until(() => s.inFlight() === 1);
    s.releaseAll();
    await again;
  });

  it("limits each origin separately", async () => {
    const a = await heldServer();
    const b = await heldServer();
    const http = new HttpClient("test", 1);
    const signal = AbortSignal.timeout(10_000);
    const ra = http.request(`${a.url}/x`, { signal });
    const rb = http.request(`${b.url}/y`, { signal });
    await until(() => a.inFlight() === 1 && b.inFlight() === 1);
    a.releaseAll();
    b.releaseAll();
    await Promise.all([ra, rb]);
  });
});
