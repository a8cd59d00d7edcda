/**
 * Property-based tests (fast-check): generated configs go to `loadConfigText`, generated flock
 * bodies, query strings, paths and headers to the API in-process. Every one ends in a loaded
 * config or a located ConfigError, or a 4xx JSON error — never a 500, never a crash, never a
 * change to stored state. Prints how many inputs ran (at least 10,000).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { tokenSha256 } from "../../src/api/auth.js";
import { ConfigError, loadConfigText } from "../../src/config/load.js";
import { startTroop, type TestTroop } from "../support/troop.js";

const OWNER_TOKEN = "owner-token-canary-fuzz-4d2c";
let total = 0;

const validFlock = { name: "tap-f", count: 1, scopes: ["read:tap"], user_spec: { username_prefix: "bot-tap-f" }, business: { type: "EmptyLoop", options: { idle_time: "10s" } } };
const configKeys = ["port", "host", "pathPrefix", "hub", "database", "apiToken", "principals", "repoUrlPrefixes", "failedAuth", "autostart", "history", "slack", "metrics", "tap", "logLevel"];

describe("fuzz: the config loader", () => {
  it("loads or throws a located ConfigError for generated documents and text", () => {
    const check = (text: string) => {
      total++;
      try {
        loadConfigText(text, "fuzz.yaml", {});
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const p of err.problems) {
          expect(typeof p.path).toBe("string");
          expect(p.message.length).toBeGreaterThan(0);
        }
      }
    };
    const doc = fc.dictionary(fc.constantFrom(...configKeys), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
    fc.assert(fc.property(doc, (d) => check(stringify(d))), { numRuns: 2500 });
    fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { numRuns: 1000 });
    const principal = fc.record({ name: fc.string(), role: fc.constantFrom("admin", "owner", "viewer", "root"), tokenSha256: fc.oneof(fc.string(), fc.constant("a".repeat(64))), flocks: fc.array(fc.string()), maxCount: fc.integer() }, { requiredKeys: [] });
    fc.assert(fc.property(fc.array(principal, { maxLength: 3 }), (list) => check(stringify({ principals: list }))), { numRuns: 1000 });
  });
});

describe("fuzz: the API", () => {
  let troop: TestTroop;
  const yaml = `logLevel: warn\nshutdownTimeout: 5s\nfailedAuth: { maxFailures: 100000 }\nrepoUrlPrefixes: ["https://github.com/lsst-sqre/"]\nprincipals:\n  - { name: fuzz, role: owner, tokenSha256: ${tokenSha256(OWNER_TOKEN)}, flocks: ["tap-*"], businesses: [EmptyLoop], scopes: ["read:tap"], maxCount: 2 }\n`;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml });
    expect((await troop.api("PUT", "/flocks", validFlock)).status).toBe(201);
  });
  afterAll(async () => troop?.close());

  const state = async () => JSON.stringify([await troop.container.store.listFlocks(), (await troop.api("GET", "/audit?limit=500")).body.length]);

  /** One request: a 4xx JSON error (or a success that changes nothing); never a 500. */
  async function send(method: string, url: string, opts: { body?: string; headers?: Record<string, string>; mayChange?: boolean } = {}) {
    total++;
    const res = await troop.container.server.inject({ method: method as "GET", url, payload: opts.body, headers: { authorization: `Bearer ${troop.token}`, ...(opts.body !== undefined ? { "content-type": "application/json" } : {}), ...opts.headers } });
    expect(res.statusCode, `${method} ${url} ${opts.body ?? ""} → ${res.body}`).toBeLessThan(500);
    if (res.statusCode >= 400) {
      const body = JSON.parse(res.body);
      expect(typeof body.code).toBe("string");
      expect(Array.isArray(body.errors)).toBe(true);
    }
    return res.statusCode;
  }

  it("answers generated flock bodies with 4xx and stores nothing", async () => {
    const before = await state();
    const mutated = fc.record({ key: fc.constantFrom("name", "count", "scopes", "user_spec", "users", "business", "start_batch_size", "extra"), value: fc.jsonValue({ maxDepth: 3 }) }).map(({ key, value }) => JSON.stringify({ ...validFlock, name: "tap-g", [key]: value, ...(key === "count" || key === "extra" || key === "users" ? {} : { count: 0 }) }));
    const body = fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 100 }), mutated);
    const auth = fc.constantFrom(`Bearer ${troop.token}`, `Bearer ${OWNER_TOKEN}`);
    await fc.assert(fc.asyncProperty(body, auth, fc.constantFrom("PUT /flocks", "PATCH /flocks/tap-f", "POST /run"), async (b, authorization, route) => {
      const [method, url] = route.split(" ") as [string, string];
      expect(await send(method, url, { body: b, headers: { authorization } })).toBeGreaterThanOrEqual(400);
    }), { numRuns: 3500 });
    expect(await state()).toBe(before);
  });

  it("answers generated query strings, paths and headers with 2xx reads or 4xx, never a change", async () => {
    const before = await state();
    const query = fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }).map((d) => new URLSearchParams(d).toString());
    await fc.assert(fc.asyncProperty(fc.constantFrom("/audit", "/flocks/tap-f/executions", "/summary", "/flocks"), query, (path, q) => send("GET", `${path}?${q}`).then(() => undefined)), { numRuns: 2000 });
    const segment = fc.string({ maxLength: 80 }).map(encodeURIComponent);
    const method = fc.constantFrom("GET", "DELETE", "POST", "PATCH");
    await fc.assert(fc.asyncProperty(method, segment, fc.constantFrom("", "/pause", "/monkeys/x", "/refresh"), async (m, name, tail) => {
      const status = await send(m, `/flocks/${name}${tail}`, { headers: { authorization: `Bearer ${OWNER_TOKEN}` }, ...(m === "PATCH" ? { body: "{}" } : {}) });
      if (m !== "GET") expect(status).toBeGreaterThanOrEqual(400);
    }), { numRuns: 1500 });
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
    await fc.assert(fc.asyncProperty(printable, fc.stringMatching(/^x-[a-z]{1,10}$/), printable, async (authorization, name, value) => {
      const status = await send("DELETE", "/flocks/tap-f", { headers: { authorization, [name]: value } });
      if (authorization !== `Bearer ${troop.token}`) expect(status).toBe(401);
    }), { numRuns: 1500 });
    expect(await state()).toBe(before);
  });

  it("ran at least 10,000 generated inputs", () => {
    console.log(`fuzz: ${total} generated inputs`);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});
