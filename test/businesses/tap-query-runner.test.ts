/**
 * TAPQueryRunner, TAPQuerySetRunner and SIAQuerySetRunner against a REAL DaCHS (started once for
 * this file by test/support/real-tap.ts, with Troop's table troop.objects: ids 1..1000, and 12
 * images): the lifecycle contract, sync and async queries with exact row counts, server errors
 * under HTTP 200, OVERFLOW, an async query aborted at query_timeout and deleted, SIA searches,
 * per-monkey Gafaelfawr tokens on nublado, and a flock of TAP monkeys through the API.
 */
import http from "node:http";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Business } from "../../src/businesses/base.js";
import { siaQuerySetRunner, tapQueryRunner, tapQuerySetRunner } from "../../src/businesses/tap-query-runner/index.js";
import type { BusinessDefinition } from "../../src/businesses/types.js";
import { HttpClient } from "../../src/clients/http.js";
import { NubladoPlatform } from "../../src/clients/hub/nublado.js";
import type { Platform } from "../../src/clients/hub/types.js";
import { dataServicesFromConfig, SHIPPED_QUERY_SETS } from "../../src/config/data-services.js";
import type { Execution } from "../../src/models/execution.js";
import { startFakeNublado } from "../support/fake-nublado.js";
import { NO_TAP, seededRandom, startRealTap, type RealTap } from "../support/real-tap.js";
import { startTroop, waitFor } from "../support/troop.js";
import { businessContract } from "./contract.js";
import { testContext } from "./context.js";

const SLOW = "SELECT COUNT(*) FROM troop.objects AS a, troop.objects AS b, troop.objects AS c";
let tap: RealTap;
const siaSets = mkdtempSync(join(tmpdir(), "troop-sia-sets-"));
mkdirSync(join(siaSets, "fixed"));
// a cone covering every image and the days of images 2, 3 and 4 (MJD 60311..60313)
writeFileSync(join(siaSets, "fixed", "params.yaml"), "min_ra: 15\nmax_ra: 15\nmin_dec: 0\nmax_dec: 0\nmin_radius: 5\nradius_range: 0\nstart_time: 60310.5\nend_time: 60313.5\n");

function make(def: BusinessDefinition, options: Record<string, unknown>, opts: { onExecution?: (r: Execution) => void; restart?: boolean; platform?: Platform; username?: string; seed?: number; tapUrl?: string } = {}): Business {
  const parsed = (def.optionsSchema as { parse(o: unknown): Record<string, unknown> }).parse({ idle_time: 0.05, error_idle_time: 0.05, ...options });
  const ctx = testContext({ options: parsed, restart: opts.restart ?? false, onExecution: opts.onExecution ?? (() => undefined), platform: opts.platform, username: opts.username ?? "bot-tap1" });
  const dataServices = dataServicesFromConfig({ tap: { url: opts.tapUrl ?? tap.tapUrl, datasets: {}, querySets: join(SHIPPED_QUERY_SETS, "tap") }, sia: { url: tap.siaUrl, datasets: {}, querySets: siaSets } });
  return def.create!({ ...ctx, dataServices, random: seededRandom(opts.seed ?? 1) });
}

/** Run `n` iterations and return their records. */
async function runIterations(def: BusinessDefinition, options: Record<string, unknown>, n = 1, opts: Parameters<typeof make>[2] = {}): Promise<Execution[]> {
  const records: Execution[] = [];
  const b = make(def, options, { ...opts, onExecution: (r) => records.push(r) });
  await b.run(n);
  return records;
}

/** A proxy in front of DaCHS that records each request's Authorization header (DaCHS needs none). */
async function authRecordingProxy(): Promise<{ seen: string[]; url: string; close: () => void }> {
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? ""));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "authorization", "connection", "content-length"].includes(k))) as Record<string, string>;
      fetch(`${tap.baseUrl}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: "manual" })
        .then(async (up) => {
          res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "text/plain", ...(up.headers.get("location") ? { location: up.headers.get("location")!.replace(tap.baseUrl, `http://127.0.0.1:${(proxy.address() as { port: number }).port}`) } : {}) });
          res.end(Buffer.from(await up.arrayBuffer()));
        })
        .catch((e: Error) => res.writeHead(502).end(e.message));
    });
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  return { seen, url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, close: () => proxy.close() };
}

const status = async (url: string) => (await fetch(url, { redirect: "manual" })).status;

describe.skipIf(NO_TAP)("TAP and SIA businesses against a real DaCHS", () => {
  beforeAll(async () => {
    tap = await startRealTap();
  }, 300_000);
  afterAll(async () => tap?.stop(), 60_000);

  describe("TAPQueryRunner contract", () => {
    businessContract(() => ({
      canFail: true,
      make: ({ failing, restart, idleMs, onExecution }) =>
        make(tapQueryRunner, { queries: [failing ? "SELEKT nonsense" : "SELECT TOP 3 id FROM troop.objects"], idle_time: idleMs / 1000 }, { restart, onExecution }),
    }));
  });

  it("runs a sync query and counts the right rows in every response format", async () => {
    const query = "SELECT * FROM troop.objects WHERE id <= 37";
    for (const response_format of [null, "votable/td", "votable/b2", "csv"]) {
      const [r] = await runIterations(tapQueryRunner, { queries: [query], response_format });
      expect(r, String(response_format)).toMatchObject({ result: "success", error: null, note: null, details: { rows: 37, mode: "sync", query, query_name: "queries[0]", dataset: "dp02" } });
      expect(r!.details.bytes).toBeGreaterThan(500);
      expect(r!.phases.map((p) => p.name)).toEqual(["submit", "fetch"]);
      expect(r!.details.submit_ms).toEqual(expect.any(Number));
    }
  });

  it("runs an async query through UWS (submit, queue wait, run, fetch, delete) and deletes the job", async () => {
    const [r] = await runIterations(tapQueryRunner, { queries: ["SELECT id, mag FROM troop.objects WHERE id BETWEEN 101 AND 342"], sync: false });
    expect(r).toMatchObject({ result: "success", details: { rows: 242, mode: "async", uws_phase: "COMPLETED", job_id: expect.any(String) } });
    expect(r!.phases.map((p) => p.name)).toEqual(["submit", "queue_wait", "run", "fetch", "delete_job"]);
    for (const k of ["submit_ms", "queue_wait_ms", "run_ms", "fetch_ms"]) expect(r!.details[k], k).toEqual(expect.any(Number));
    expect(await status(String(r!.details.job_url))).toBe(404);
  });

  it("fails invalid ADQL with the server's message although HTTP says 200 (sync and async)", async () => {
    const [sync] = await runIterations(tapQueryRunner, { queries: ["SELEKT nonsense FROM nowhere"] });
    expect(sync!.error).toMatchObject({ phase: "fetch", failure_class: "query_error" });
    expect(sync!.error!.message).toMatch(/^the service reported an error: .*Could not parse your query: Expected "SELECT"/);
    const [async] = await runIterations(tapQueryRunner, { queries: ["SELEKT nonsense FROM nowhere"], sync: false });
    expect(async!.error).toMatchObject({ phase: "run", failure_class: "query_error", message: expect.stringMatching(/Could not parse your query/) });
    expect(await status(String(async!.details.job_url))).toBe(404);
  });

  it("aborts an async query over query_timeout, fails with class timeout, and the job is gone", async () => {
    const started = Date.now();
    const [r] = await runIterations(tapQueryRunner, { queries: [SLOW], sync: false, query_timeout: 2 });
    expect(r!.result).toBe("failure");
    expect(r!.error).toMatchObject({ failure_class: "timeout", message: "query not finished within query_timeout (2s); the job was aborted" });
    expect(["queue_wait", "run"]).toContain(r!.error!.phase);
    expect(r!.phases.map((p) => p.name)).toEqual(expect.arrayContaining(["abort_job", "delete_job"]));
    expect(r!.phases.find((p) => p.name === "abort_job")!.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await status(String(r!.details.job_url))).toBe(404);
  });

  it("treats QUERY_STATUS=OVERFLOW (max_rows) as a success with a note", async () => {
    for (const sync of [true, false]) {
      const [r] = await runIterations(tapQueryRunner, { queries: ["SELECT id FROM troop.objects"], max_rows: 10, sync });
      expect(r).toMatchObject({ result: "success", details: { rows: 10, query_status: "OVERFLOW", max_rows: 10 } });
      expect(r!.note).toMatch(/^result truncated by the service \(QUERY_STATUS=OVERFLOW, MAXREC=10\)/);
    }
  });

  it("renders and runs the shipped local query set (sync and async); the old TAPQueryRunner form does the same", async () => {
    const names = new Set<string>();
    for (const [def, sync] of [[tapQuerySetRunner, true], [tapQuerySetRunner, false], [tapQueryRunner, true]] as const) {
      const records = await runIterations(def, { query_set: "local", sync }, sync ? 8 : 2, { seed: 11 });
      for (const r of records) {
        expect(r, JSON.stringify(r.error)).toMatchObject({ result: "success", details: { rows: expect.any(Number) } });
        expect(String(r.details.query)).toMatch(/troop\.objects/);
        names.add(String(r.details.query_name));
      }
    }
    expect(names.size).toBeGreaterThanOrEqual(3);
  });

  it("runs SIA 2 searches with POS and TIME from a query set and counts the images", async () => {
    const [r] = await runIterations(siaQuerySetRunner, { query_set: "fixed" });
    expect(r).toMatchObject({ result: "success", details: { rows: 3, ra: 15, dec: 0, radius: 5, time_start: 60310.5, time_end: 60313.5, query: "POS=CIRCLE 15 0 5&TIME=60310.5 60313.5" } });
    const [overflow] = await runIterations(siaQuerySetRunner, { query_set: "fixed", max_rows: 2 });
    expect(overflow).toMatchObject({ result: "success", details: { rows: 2, query_status: "OVERFLOW" } });
    const [td] = await runIterations(siaQuerySetRunner, { query_set: "fixed", response_format: "votable/td" });
    expect(td).toMatchObject({ result: "success", details: { rows: 3, serialization: "TABLEDATA" } });
  });

  it("on nublado, sends each monkey's own Gafaelfawr token as a bearer and revokes it at stop", async () => {
    const fake = await startFakeNublado();
    const { seen, url: proxyUrl, close } = await authRecordingProxy();
    try {
      const platform = new NubladoPlatform({ http: new HttpClient(), baseUrl: fake.url, adminToken: fake.adminToken, tokenLifetimeMs: 3_600_000 });
      const b = make(tapQueryRunner, { queries: ["SELECT TOP 2 id FROM troop.objects"] }, { platform, username: "bot-nbtap", tapUrl: `${proxyUrl}/tap` });
      await b.run(2);
      expect(b.successCount).toBe(2);
      const tokens = [...fake.state.tokens.values()].filter((t) => t.username === "bot-nbtap");
      expect(tokens).toHaveLength(0); // revoked at stop
      expect(new Set(seen).size).toBe(1);
      expect(seen[0]).toMatch(/^Bearer gt-[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
      expect(fake.state.requests).toEqual(expect.arrayContaining([expect.stringMatching(/^POST \/auth\/api\/v1\/tokens 201$/), expect.stringMatching(/^DELETE \/auth\/api\/v1\/users\/bot-nbtap\/tokens\/.* 204$/)]));
    } finally {
      close();
      await fake.close();
    }
  });

  it("picks one of its queries at random each iteration", async () => {
    const queries = ["SELECT TOP 1 id FROM troop.objects", "SELECT TOP 2 id FROM troop.objects", "SELECT TOP 3 id FROM troop.objects"];
    const records = await runIterations(tapQueryRunner, { queries }, 12, { seed: 7 });
    expect(records.every((r) => r.result === "success")).toBe(true);
    const used = records.map((r) => r.details["query"]);
    expect(used.every((q) => queries.includes(q as string))).toBe(true);
    expect(new Set(used).size).toBeGreaterThan(1);
    expect(records.map((r) => r.details["rows"])).toEqual(used.map((q) => queries.indexOf(q as string) + 1));
  });

  it("runs a flock of TAP monkeys for several iterations through PUT /flocks, sending the configured TAP token as a bearer, with their history stored", async () => {
    const proxy = await authRecordingProxy();
    const token = "tap-token-for-the-flock-test-5e1f";
    const troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: `logLevel: debug\nshutdownTimeout: 60s\nhistory: { flushInterval: 100ms }\ntap:\n  url: ${proxy.url}/tap\n`, env: { TROOP_TAP_TOKEN: token } });
    try {
      const flock = {
        name: "tap",
        count: 2,
        user_spec: { username_prefix: "bot-tapflock" },
        scopes: ["read:tap"],
        business: { type: "TAPQuerySetRunner", options: { query_set: "local", sync: false, idle_time: "0.2s", error_idle_time: "0.5s", query_timeout: "60s" } },
      };
      expect((await troop.api("PUT", "/flocks", flock)).status).toBe(201);
      await waitFor("three iterations per monkey", async () => {
        const monkeys = (await troop.api("GET", "/flocks/tap")).body.monkeys as { business: { success_count: number; failure_count: number } }[];
        return monkeys.every((m) => m.business.success_count + m.business.failure_count >= 3);
      }, 180_000, 500);
      const data = (await troop.api("GET", "/flocks/tap")).body;
      for (const m of data.monkeys) {
        expect(m.business.failure_count, JSON.stringify(m.last_execution?.error)).toBe(0);
        expect(m.last_execution).toMatchObject({ result: "success", business: "TAPQuerySetRunner", details: { mode: "async", rows: expect.any(Number), bytes: expect.any(Number), query: expect.stringMatching(/troop\.objects/) } });
      }
      expect((await troop.api("GET", "/flocks/tap/summary")).body).toMatchObject({ monkey_count: 2, failure_count: 0 });
      const stored = await waitFor("six stored executions", async () => {
        const page = (await troop.api("GET", "/flocks/tap/executions?limit=50")).body.executions as { result: string; monkey: string; phases: { name: string }[] }[];
        return page.length >= 6 ? page : null;
      }, 10_000, 100);
      expect(new Set(stored!.map((e) => e.monkey))).toEqual(new Set(["bot-tapflock1", "bot-tapflock2"]));
      expect(stored!.every((e) => e.result === "success")).toBe(true);
      expect(proxy.seen.length).toBeGreaterThanOrEqual(6);
      expect(new Set(proxy.seen)).toEqual(new Set([`Bearer ${token}`]));
      expect((await troop.api("DELETE", "/flocks/tap")).status).toBe(204);
      expect(troop.logs.join("")).not.toContain(token);
    } finally {
      await troop.close();
      proxy.close();
    }
  });
});
