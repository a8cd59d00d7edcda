/**
 * Property-based tests (fast-check): generated configs go to `loadConfigText`, generated flock
 * bodies, query strings, paths and headers to the API in-process, and generated GitHub webhook
 * deliveries (bodies, event and delivery headers, content types; unsigned, wrongly and correctly
 * signed) to `POST /github/webhook`. Every one ends in a loaded config or a located ConfigError,
 * a 4xx JSON error, or (webhook) a 202 JSON result — never a 500, never a crash, never a change
 * to stored state. Prints how many inputs ran (at least 10,000).
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { tokenSha256 } from "../../src/api/auth.js";
import { ConfigError, loadConfigText } from "../../src/config/load.js";
import { githubYaml, pullRequestPayload, repository, SECRET, startFakeGitHub, type FakeGitHub } from "../support/fake-github.js";
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
  let fake: FakeGitHub;
  let troop: TestTroop;
  const yaml = `logLevel: warn\nshutdownTimeout: 5s\nfailedAuth: { maxFailures: 100000 }\nrepoUrlPrefixes: ["https://github.com/lsst-sqre/"]\nprincipals:\n  - { name: fuzz, role: owner, tokenSha256: ${tokenSha256(OWNER_TOKEN)}, flocks: ["tap-*"], businesses: [EmptyLoop], scopes: ["read:tap"], maxCount: 2 }\n`;
  beforeAll(async () => {
    fake = await startFakeGitHub();
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: `${yaml}${githubYaml(fake, { concurrency: 0 })}` });
    expect((await troop.api("PUT", "/flocks", validFlock)).status).toBe(201);
  });
  afterAll(async () => {
    await troop?.close();
    await fake?.close();
  });

  const state = async () => JSON.stringify([await troop.container.store.listFlocks(), (await troop.api("GET", "/audit?limit=500")).body.length, await troop.container.github!.store.recent(100), fake.requests.length]);

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

  it("answers generated webhook deliveries, signed or not, with 4xx or 202 JSON and changes nothing", async () => {
    const before = await state();
    const printable = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
    const event = fc.oneof(fc.constantFrom("push", "pull_request", "check_run", "check_suite", "ping", "issues", ""), printable(30));
    // templates of handled events, one key replaced; never from an accepted organisation except pushes (which match no notebook flock here)
    const owner = fc.oneof(fc.constantFrom("evil", "other-org"), printable(20)).filter((o) => o.toLowerCase() !== "acme");
    const template = fc.tuple(owner, fc.constantFrom("push", "pull_request", "check_run", "check_suite")).map(([o, kind]) => {
      const repo = repository(kind === "push" ? "acme" : o, "nbs", "https://github.com/acme/nbs.git");
      if (kind === "push") return { kind, payload: { ref: "refs/heads/main", after: "c".repeat(40), repository: repo } };
      if (kind === "pull_request") return { kind, payload: pullRequestPayload({ action: "opened", number: 1, headSha: "b".repeat(40), headRef: "x", baseSha: "a".repeat(40), owner: o, repo: "nbs", cloneUrl: "https://github.com/evil/nbs.git", installationId: 1 }) };
      return { kind, payload: { action: "rerequested", [kind]: { id: 1, head_sha: "b".repeat(40), pull_requests: [] }, repository: repo, installation: { id: 1 } } };
    });
    const key = fc.constantFrom("ref", "action", "repository", "installation", "deleted", "pull_request", "check_run", "check_suite", "after", "extra");
    const mutated = fc.tuple(template, key, fc.jsonValue({ maxDepth: 3 })).map(([t, k, v]) => ({ kind: t.kind, payload: { ...t.payload, [k]: v } }));
    /** [X-GitHub-Event, body]: a handled event's payload (as it is or with one key replaced) under its own event name, or anything under any name. */
    const delivery = fc.oneof(
      fc.oneof(template, mutated).chain((t) => fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constant(t.kind) }, { weight: 1, arbitrary: event }), fc.constant(JSON.stringify(t.payload)))),
      fc.tuple(event, fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }))),
    );
    const signing = fc.constantFrom("none", "valid", "valid", "valid", "wrong", "sha1");
    const contentType = fc.constantFrom("application/json", "application/json", "application/x-www-form-urlencoded", "text/plain", undefined);
    const seen: Record<string, number> = {};
    await fc.assert(fc.asyncProperty(delivery, signing, contentType, fc.option(printable(60)), async ([ev, b], sign, type, id) => {
      total++;
      const hmac = createHmac("sha256", sign === "wrong" ? "not-the-secret" : SECRET).update(b).digest("hex");
      const headers: Record<string, string> = { "x-github-event": ev, ...(type ? { "content-type": type } : {}), ...(id !== null ? { "x-github-delivery": id } : {}) };
      if (sign !== "none") headers["x-hub-signature-256"] = `${sign === "sha1" ? "sha1" : "sha256"}=${hmac}`;
      const res = await troop.container.server.inject({ method: "POST", url: "/github/webhook", headers, payload: b });
      const what = `${sign} ${ev} ${type} ${b} → ${res.statusCode} ${res.body}`;
      expect([202, 400, 401, 403, 415, 422], what).toContain(res.statusCode);
      const answer = JSON.parse(res.body);
      const key = `${res.statusCode} ${answer.code ?? answer.result}`;
      seen[key] = (seen[key] ?? 0) + 1;
      if (res.statusCode === 202) {
        expect(["accepted", "ignored"], what).toContain(answer.result);
        expect(answer.refreshed ?? [], what).toEqual([]);
      } else {
        expect(typeof answer.code, what).toBe("string");
        expect(Array.isArray(answer.errors), what).toBe(true);
      }
      if (sign !== "valid") expect(answer.code, what).toBe("invalid_signature");
    }), { numRuns: 2000 });
    console.log(`fuzz: webhook deliveries by answer ${JSON.stringify(seen)}`);
    for (const k of ["202 accepted", "202 ignored", "400 invalid_json", "401 invalid_signature", "403 org_not_accepted", "422 invalid_request"]) expect(seen[k], k).toBeGreaterThan(0);
    expect(await state()).toBe(before);
  });

  it("ran at least 10,000 generated inputs", () => {
    console.log(`fuzz: ${total} generated inputs`);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});
