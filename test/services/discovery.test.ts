/**
 * Service discovery against a discovery server on 127.0.0.1 (Repertoire's document shape):
 * fetch at start and on a timer, a changed document changes the applications, a failed fetch
 * keeps the last good document, the applications reach the notebook runners' skip logic at
 * each notebook, TAP and SIA URLs come from the document, and `GET /discovery` shows it all.
 */
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { missingApplications } from "../../src/businesses/notebook-runner/selection.js";
import { DiscoveryClient } from "../../src/clients/discovery.js";
import { HttpClient } from "../../src/clients/http.js";
import { dataServicesFromConfig, serviceUrl, withDiscovery } from "../../src/config/data-services.js";
import { loadConfigText } from "../../src/config/load.js";
import { createLogger } from "../../src/logging.js";
import { DiscoveryService } from "../../src/services/discovery.js";
import { SecretScrubber } from "../../src/services/secrets.js";
import { repertoireDocument, startDiscoveryServer, type DiscoveryServer } from "../support/discovery-server.js";
import { startTroop, waitFor } from "../support/troop.js";

describe("service discovery", () => {
  let server: DiscoveryServer;
  const services: DiscoveryService[] = [];
  const logs: string[] = [];
  beforeAll(async () => {
    server = await startDiscoveryServer();
  });
  afterEach(() => {
    for (const s of services.splice(0)) s.stop();
    server.mode = "ok";
  });
  afterAll(async () => server?.close());

  function service(opts: { configured?: string[]; refreshIntervalMs?: number; timeoutMs?: number; url?: string } = {}): DiscoveryService {
    const destination = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
    const s = new DiscoveryService({
      client: new DiscoveryClient(new HttpClient(), opts.url ?? server.url),
      configuredApplications: opts.configured ?? [],
      refreshIntervalMs: opts.refreshIntervalMs ?? 3_600_000,
      timeoutMs: opts.timeoutMs ?? 5000,
      logger: createLogger({ level: "debug", scrubber: new SecretScrubber(), destination }),
    });
    services.push(s);
    return s;
  }
  const doc = (applications: string[], datasets?: Record<string, Record<string, string>>) => (server.doc = repertoireDocument(server.base, { applications, datasets }));

  it("fetches at start; a changed document changes the applications at the next fetch", async () => {
    doc(["nublado", "tap"]);
    const s = service({ configured: ["portal", "nublado"] });
    expect(s.loaded).toBe(false);
    await s.start();
    expect(s.loaded).toBe(true);
    expect(s.applications()).toEqual(["nublado", "portal", "tap"]);
    doc(["sia"]);
    expect(await s.refresh()).toBe(true);
    expect(s.applications()).toEqual(["nublado", "portal", "sia"]);
    expect(s.status()).toMatchObject({ enabled: true, url: server.url, environment_name: "test.example.org", configured_applications: ["portal", "nublado"], discovered_applications: ["sia"], last_error: null });
  });

  it("fetches again every refreshInterval on its own", async () => {
    doc(["one"]);
    const s = service({ refreshIntervalMs: 150 });
    await s.start();
    const before = server.fetches;
    doc(["two"]);
    await waitFor("a refresh by the timer", () => s.applications().includes("two"), 5000, 50);
    expect(server.fetches).toBeGreaterThan(before);
    s.stop();
    const after = server.fetches;
    await new Promise((r) => setTimeout(r, 400));
    expect(server.fetches).toBe(after);
  });

  it.each([
    ["500", /answered HTTP 500/],
    ["garbage", /JSON/],
    ["hang", /no answer in time/],
  ] as const)("keeps the last good document when a fetch fails (%s), with the error and the time of the attempt", async (mode, error) => {
    doc(["tap"], { dp1: { tap: `${server.base}/tap` } });
    const s = service({ timeoutMs: 300 });
    await s.start();
    const good = s.status();
    server.mode = mode;
    logs.length = 0;
    expect(await s.refresh()).toBe(false);
    const st = s.status();
    expect(st.last_error).toMatch(error);
    expect(st.last_success).toBe(good.last_success);
    expect(Date.parse(st.last_attempt!)).toBeGreaterThanOrEqual(Date.parse(good.last_success!));
    expect(s.applications()).toEqual(["tap"]);
    expect(s.serviceUrl("tap", "dp1")).toBe(`${server.base}/tap`);
    expect(logs.join("")).toMatch(/service discovery: fetch failed; keeping the last good document/);
    server.mode = "ok";
    expect(await s.refresh()).toBe(true);
    expect(s.status().last_error).toBeNull();
  });

  it("starts without a document when the first fetch fails, and takes one later", async () => {
    server.mode = "500";
    const s = service({ configured: ["nublado"] });
    await s.start();
    expect(s.loaded).toBe(false);
    expect(s.applications()).toEqual(["nublado"]);
    expect(s.status().last_success).toBeNull();
    server.mode = "ok";
    doc(["tap"]);
    await s.refresh();
    expect(s.applications()).toEqual(["nublado", "tap"]);
  });

  it("tolerates fields it does not know, and refuses a document of the wrong shape", async () => {
    server.doc = { applications: ["tap"], datasets: { dp1: { services: { tap: { url: "https://x/tap", versions: { v1: {} } } }, butler_config: "https://x/b.yaml" } }, brand_new_field: { a: 1 } };
    const s = service();
    await s.start();
    expect(s.applications()).toEqual(["tap"]);
    expect(s.serviceUrl("tap", "dp1")).toBe("https://x/tap");
    server.doc = { applications: "tap" };
    expect(await s.refresh()).toBe(false);
    expect(s.status().last_error).toMatch(/^not a discovery document: applications: /);
    expect(s.applications()).toEqual(["tap"]);
  });

  it("never shows the URL's credentials or query string in its status or log when a fetch fails", async () => {
    const secret = "s3cret-discovery-token-81c4";
    const failing = [
      `http://troop:${secret}@127.0.0.1:9/repertoire/discovery`, // fetch refuses URLs with credentials
      `http://127.0.0.1:9/repertoire/discovery?token=${secret}`, // nothing listens on port 9
    ];
    for (const url of failing) {
      logs.length = 0;
      const s = service({ url });
      await s.start();
      expect(s.status().last_error).toBeTruthy();
      expect(JSON.stringify(s.status())).not.toContain(secret);
      expect(logs.join("")).not.toContain(secret);
    }
  });

  it("lets a notebook that requires an application only the document has run, from the next notebook on", async () => {
    doc([]);
    const s = service({ configured: ["nublado"] });
    await s.start();
    const available = () => s.applications(); // what the composition root hands the notebook runners
    expect(missingApplications(["tap", "nublado"], available)).toEqual(["tap"]); // would be skipped
    doc(["tap"]);
    await s.refresh();
    expect(missingApplications(["tap", "nublado"], available)).toEqual([]); // now runs
    expect(missingApplications(["tap"], ["nublado"])).toEqual(["tap"]); // a fixed list still works
  });

  it("resolves a dataset's TAP and SIA URL: the config's for the dataset, else the document's, else the config's default", async () => {
    doc([], { dp1: { tap: "https://disc/tap-dp1", sia: "https://disc/sia-dp1" }, dp02: { tap: "https://disc/tap-dp02" } });
    const s = service();
    await s.start();
    const base = dataServicesFromConfig({ tap: { url: "https://conf/tap", datasets: { dp02: "https://conf/tap-dp02" }, querySets: "/q" } });
    const ds = withDiscovery(base, { url: (kind, dataset) => s.serviceUrl(kind, dataset), get loaded() { return s.loaded; } });
    expect(serviceUrl(ds.tap, "dp02")).toBe("https://conf/tap-dp02");
    expect(serviceUrl(ds.tap, "dp1")).toBe("https://disc/tap-dp1");
    expect(serviceUrl(ds.tap, "other")).toBe("https://conf/tap");
    expect(serviceUrl(ds.sia, "dp1")).toBe("https://disc/sia-dp1");
    expect(serviceUrl(ds.sia, "dp02")).toBeNull();
    doc([], { dp1: { tap: "https://disc/tap-dp1-moved" } });
    await s.refresh();
    expect(serviceUrl(ds.tap, "dp1")).toBe("https://disc/tap-dp1-moved");
  });

  it("reads discovery.url from TROOP_DISCOVERY_URL, with defaults for the interval and the timeout", () => {
    const { config } = loadConfigText("discovery:\n  refreshInterval: 1m\n", "t.yaml", { TROOP_DISCOVERY_URL: "https://data.example.org/repertoire/discovery" });
    expect(config.discovery).toEqual({ url: "https://data.example.org/repertoire/discovery", refreshInterval: 60_000, timeout: 10_000 });
    expect(loadConfigText("{}", "t.yaml", {}).config.discovery).toEqual({ refreshInterval: 300_000, timeout: 10_000 });
    expect(() => loadConfigText("discovery:\n  url: not a url\n", "t.yaml", {})).toThrow(/t\.yaml:2:\d+: discovery\.url: /);
  });

  describe("in a running Troop", () => {
    it("shows the document in GET /discovery and queries a TAP URL that only discovery knows", async () => {
      doc(["tap"], { dp1: { tap: `${server.base}/tap` } });
      const troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: "availableApplications: [nublado]\ndiscovery:\n  refreshInterval: 1h\n", env: { TROOP_DISCOVERY_URL: server.url } });
      try {
        const st = (await troop.api("GET", "/discovery")).body;
        expect(st).toMatchObject({ enabled: true, url: server.url, applications: ["nublado", "tap"], datasets: { dp1: { tap: `${server.base}/tap` } }, last_error: null });
        const flock = (name: string, dataset: string) => ({ name, count: 1, user_spec: { username_prefix: `bot-${name}` }, business: { type: "TAPQueryRunner", options: { dataset, queries: ["SELECT 1 AS x"], idle_time: "1h" } } });
        const refused = await troop.api("PUT", "/flocks", flock("nodisc", "dp9"));
        expect(refused.status).toBe(422);
        expect(refused.body.errors[0]).toMatchObject({ path: "business.options.dataset", message: expect.stringMatching(/no TAP URL for dataset dp9: .*service-discovery document/) });
        expect((await troop.api("PUT", "/flocks", flock("disc", "dp1"))).status).toBe(201);
        const last = await waitFor("one query", async () => (await troop.api("GET", "/flocks/disc/monkeys/bot-disc1")).body.last_execution, 30_000);
        expect(last).toMatchObject({ result: "success", details: { service: `${server.base}/tap`, rows: 2 } });
        expect(server.queries).toContain("SELECT 1 AS x");
      } finally {
        await troop.close();
      }
    });

    it("accepts a TAP flock while the first fetch has failed, and its monkey finds the URL once a document arrives", async () => {
      server.mode = "500";
      const troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: `discovery:\n  url: ${server.url}\n  refreshInterval: 1h\n` });
      try {
        expect((await troop.api("GET", "/discovery")).body).toMatchObject({ enabled: true, last_success: null, last_error: expect.stringMatching(/HTTP 500/) });
        const flock = { name: "late", count: 1, user_spec: { username_prefix: "bot-late" }, business: { type: "TAPQueryRunner", options: { dataset: "dp1", queries: ["SELECT 2 AS x"], idle_time: "1h", error_idle_time: "0.2s" } } };
        expect((await troop.api("PUT", "/flocks", flock)).status).toBe(201);
        expect(troop.logs.join("")).toMatch(/no TAP URL for dataset dp1 yet: the service-discovery document has not been fetched/);
        const failed = await waitFor("a failed start-up", async () => (await troop.api("GET", "/flocks/late/monkeys/bot-late1")).body.last_execution, 30_000);
        expect(failed.error.message).toMatch(/no TAP URL for dataset dp1/);
        server.mode = "ok";
        doc([], { dp1: { tap: `${server.base}/tap` } });
        expect(await troop.container.discovery.refresh()).toBe(true);
        await waitFor("a query against the discovered URL", async () => (await troop.api("GET", "/flocks/late/monkeys/bot-late1")).body.last_execution?.result === "success", 30_000);
        expect(server.queries).toContain("SELECT 2 AS x");
      } finally {
        await troop.close();
      }
    });

    it("serves GET /discovery with discovery off", async () => {
      const troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: "availableApplications: [tap]\n" });
      try {
        expect((await troop.api("GET", "/discovery")).body).toMatchObject({ enabled: false, url: null, last_attempt: null, applications: ["tap"], datasets: {} });
      } finally {
        await troop.close();
      }
    });
  });
});
