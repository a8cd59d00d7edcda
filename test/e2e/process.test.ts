/**
 * `troop serve` as a process against the real hub: SIGTERM cleans up and exits 0; a kill -9
 * loses no API-created flock.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { freePort, startServe } from "../support/serve-process.js";
import { pythonFlock, waitFor } from "../support/troop.js";

const hub = inject("hub");
const admin = { authorization: `token ${hub.adminToken}` };

async function servers(user: string): Promise<number> {
  const res = await fetch(`${hub.apiUrl}/users/${user}`, { headers: admin });
  if (res.status === 404) return 0;
  return Object.keys(((await res.json()) as { servers?: object }).servers ?? {}).length;
}
async function troopTokens(user: string): Promise<number> {
  const res = await fetch(`${hub.apiUrl}/users/${user}/tokens`, { headers: admin });
  if (res.status === 404) return 0;
  const body = (await res.json()) as { api_tokens: { note: string }[] };
  return body.api_tokens.filter((t) => t.note === "troop bot").length;
}

describe("troop serve process", () => {
  const dir = mkdtempSync(join(tmpdir(), "troop-proc-"));
  const configFile = join(dir, "troop.yaml");
  writeFileSync(configFile, "logLevel: info\nshutdownTimeout: 60s\n");
  const database = join(dir, "troop.sqlite");

  it("on SIGTERM deletes labs, revokes tokens and exits 0; the API-created flock comes back at the next start", async () => {
    const port = await freePort();
    const p = await startServe({ hubUrl: hub.url, adminToken: hub.adminToken, database, configFile, port });
    expect((await p.api("PUT", "/flocks", pythonFlock("durable", { count: 2, prefix: "bot-durable" }))).status).toBe(201);
    await waitFor("labs and successes", async () => (await servers("bot-durable1")) + (await servers("bot-durable2")) === 2 && (await p.api("GET", "/flocks/durable/summary")).body.success_count >= 2, 60_000);
    expect(await troopTokens("bot-durable1")).toBe(1);
    await p.api("POST", "/flocks/durable/pause");
    await p.api("POST", "/flocks/durable/resume");
    await waitFor("running again", async () => (await servers("bot-durable1")) === 1, 60_000);
    const before = (await p.api("GET", "/flocks/durable/summary")).body.success_count;
    p.child.kill("SIGTERM");
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    if (await servers("bot-durable1")) console.log(p.output().split("\n").filter((l) => !l.includes('"request"')).slice(-30).join("\n"));
    expect(await servers("bot-durable1")).toBe(0);
    expect(await servers("bot-durable2")).toBe(0);
    expect(await troopTokens("bot-durable1")).toBe(0);
    expect(await troopTokens("bot-durable2")).toBe(0);

    const again = await startServe({ hubUrl: hub.url, adminToken: hub.adminToken, database, configFile, port: await freePort() });
    try {
      expect((await again.api("GET", "/flocks")).body).toEqual(["durable"]);
      const s = await waitFor("counting on", async () => {
        const b = (await again.api("GET", "/flocks/durable/summary")).body;
        return b.success_count > before ? b : null;
      }, 60_000);
      expect(s.monkey_count).toBe(2);
    } finally {
      again.child.kill("SIGTERM");
      await again.exited;
    }
  });

  it("after kill -9 and a restart, stored flocks (and their pause state) run again and leftover labs are cleaned", async () => {
    const port = await freePort();
    const db = join(dir, "crash.sqlite");
    const p = await startServe({ hubUrl: hub.url, adminToken: hub.adminToken, database: db, configFile, port });
    await p.api("PUT", "/flocks", pythonFlock("crashy", { prefix: "bot-crashy" }));
    await p.api("PUT", "/flocks", pythonFlock("sleepy", { prefix: "bot-sleepy" }));
    await p.api("POST", "/flocks/sleepy/pause");
    await waitFor("a lab", async () => (await servers("bot-crashy1")) === 1, 60_000);
    p.child.kill("SIGKILL");
    await p.exited;
    expect(await servers("bot-crashy1")).toBe(1); // left behind by the crash

    const again = await startServe({ hubUrl: hub.url, adminToken: hub.adminToken, database: db, configFile, port: await freePort() });
    try {
      expect((await again.api("GET", "/flocks")).body).toEqual(["crashy", "sleepy"]);
      expect((await again.api("GET", "/flocks/sleepy/summary")).body.paused).toBe(true);
      expect(again.output()).toMatch(/stopped leftover labs/);
      await waitFor("crashy runs", async () => (await again.api("GET", "/flocks/crashy/summary")).body.success_count >= 1, 60_000);
    } finally {
      await again.api("DELETE", "/flocks/crashy");
      await again.api("DELETE", "/flocks/sleepy");
      again.child.kill("SIGTERM");
      await again.exited;
    }
  });
});
