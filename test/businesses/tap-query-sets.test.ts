/**
 * Query sets: rendering with fixed seeds, the shipped sets, and located errors for bad
 * templates and parameter files — from the loader, at flock start (PUT /flocks) and in the
 * service config (`troop validate`/`serve`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawSiaQuery, drawVariables, paramsFileSchema } from "../../src/businesses/tap-query-runner/params.js";
import { loadSiaQuerySet, loadTapQuerySet, QuerySetError, renderQuery, type QuerySetProblem } from "../../src/businesses/tap-query-runner/query-set.js";
import { SHIPPED_QUERY_SETS } from "../../src/config/data-services.js";
import { ConfigError, loadConfigText, type ConfigProblem } from "../../src/config/load.js";
import { seededRandom } from "../support/real-tap.js";
import { startTroop, type TestTroop } from "../support/troop.js";

const root = mkdtempSync(join(tmpdir(), "troop-query-sets-"));
function makeSet(name: string, files: Record<string, string>): void {
  mkdirSync(join(root, name), { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, name, f), text);
}
function problems(fn: () => unknown): (ConfigProblem | QuerySetProblem)[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof QuerySetError) return err.problems;
    throw err;
  }
  throw new Error("no located error");
}

makeSet("good", {
  "params.yaml": "min_ra: 10\nmax_ra: 20\nmin_dec: -5\nmax_dec: 5\nobject_ids: [734705695588352287, 2]\nvariables:\n  band: {choice: [g, r]}\n  n: {min: 1, max: 3, integer: true}\n  limit: 7\n",
  "cone.sql": "SELECT TOP {{ limit }} * FROM t WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {{ ra }}, {{ dec }}, {{ radius }})) = 1",
  "object.adql": "SELECT * FROM t WHERE id = {{ object }} AND band = '{{ band }}' -- {{ query_id }} {{ username }} {{ n }}",
  "notes.txt": "not a template",
});
makeSet("syntax", { "a.sql": "SELECT {{ ra +  }} FROM t", "b.sql": "SELECT 1 FROM t" });
makeSet("unknown-variable", { "a.sql": "SELECT 1\nFROM t\nWHERE x = {{ no_such_thing }}" });
makeSet("bad-filter", { "a.sql": "SELECT {{ ra | nosuchfilter }} FROM t" });
makeSet("bad-params", { "params.yaml": "min_ra: 10\nmax_ra: ten\nfoo: 1\n", "a.sql": "SELECT 1" });
makeSet("empty", { "params.yaml": "min_ra: 1\n" });
makeSet("sia-good", { "params.yaml": "min_ra: 10\nmax_ra: 20\nmin_dec: -5\nmax_dec: 5\nmin_radius: 0.1\nradius_range: 0.2\nstart_time: 60310\nend_time: 60322\ntime_range: 2\n" });

describe("query sets", () => {
  it("renders the same queries from the same seed, with exact object ids and every variable", () => {
    const set = loadTapQuerySet(root, "good");
    expect(set.templates.map((t) => t.name)).toEqual(["cone", "object"]);
    const run = (seed: number) => Array.from({ length: 20 }, (_, i) => renderQuery(set, seededRandom(seed + i), "bot-tap1"));
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const all = run(7);
    expect(new Set(all.map((q) => q.name))).toEqual(new Set(["cone", "object"]));
    const object = all.find((q) => q.name === "object")!.query;
    expect(object).toMatch(/^SELECT \* FROM t WHERE id = (734705695588352287|2) AND band = '[gr]' -- troop-[0-9A-Za-z]{16} bot-tap1 [123]$/);
    for (const q of all.filter((x) => x.name === "cone")) {
      const [ra, dec, r] = /CIRCLE\('ICRS', ([\d.-]+), ([\d.-]+), ([\d.-]+)\)/.exec(q.query)!.slice(1).map(Number);
      expect(ra).toBeGreaterThanOrEqual(10);
      expect(ra).toBeLessThan(20);
      expect(dec).toBeGreaterThanOrEqual(-5);
      expect(r).toBeGreaterThanOrEqual(0.01);
      expect(q.query).toMatch(/^SELECT TOP 7 /);
    }
  });

  it("draws fixed values from a fixed seed (seed 1 pinned)", () => {
    const params = paramsFileSchema.parse({ min_ra: 0, max_ra: 10, object_ids: [5, 6, 7] });
    const v = drawVariables(params, seededRandom(1), "bot-x");
    expect(v).toEqual(drawVariables(params, seededRandom(1), "bot-x"));
    const r = seededRandom(1);
    const [minFlux, minMag, ra] = [r(), r(), r()];
    expect(v).toMatchObject({ min_flux: minFlux * 0.001, min_mag: 15 + minMag * 15, ra: 10 * ra, username: "bot-x" });
    expect(String(v.objects).split(", ")).toHaveLength(12);
    const sia = drawSiaQuery(loadSiaQuerySet(root, "sia-good").params, seededRandom(3));
    expect(sia).toEqual(drawSiaQuery(loadSiaQuerySet(root, "sia-good").params, seededRandom(3)));
    expect(sia.time![1] - sia.time![0]).toBeCloseTo(2);
    expect(sia.time![0]).toBeGreaterThanOrEqual(60310);
    expect(sia.time![1]).toBeLessThanOrEqual(60322);
  });

  it("loads and renders every shipped set", () => {
    for (const name of ["local", "dp0.2"]) {
      const set = loadTapQuerySet(join(SHIPPED_QUERY_SETS, "tap"), name);
      for (let i = 0; i < 30; i++) expect(renderQuery(set, seededRandom(i), "bot-x").query).toMatch(/^SELECT /);
    }
    for (const name of ["local", "dp02"]) expect(loadSiaQuerySet(join(SHIPPED_QUERY_SETS, "sia"), name).params.min_radius).toBeGreaterThan(0);
  });

  it("locates template syntax errors, unknown variables and filters (file, line, column)", () => {
    const [syntax, ...rest] = problems(() => loadTapQuerySet(root, "syntax"));
    expect(rest).toEqual([]);
    expect(syntax).toMatchObject({ file: expect.stringMatching(/syntax[/\\]a\.sql$/), line: 1, column: expect.any(Number), path: "(template)" });
    expect(syntax!.message).toMatch(/unexpected token/);
    const [unknown] = problems(() => loadTapQuerySet(root, "unknown-variable"));
    expect(unknown).toMatchObject({ line: 3, message: expect.stringMatching(/unknown variable.*WHERE x = \{\{ no_such_thing \}\}/) });
    expect(problems(() => loadTapQuerySet(root, "bad-filter"))[0]!.message).toMatch(/filter not found: nosuchfilter/);
  });

  it("locates params.yaml problems by line and names missing or empty sets", () => {
    const p = problems(() => loadTapQuerySet(root, "bad-params"));
    expect(p).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: expect.stringMatching(/params\.yaml$/), line: 2, path: "max_ra" }),
        expect.objectContaining({ line: 3, path: "foo", message: 'unknown key "foo"' }),
      ]),
    );
    expect(problems(() => loadTapQuerySet(root, "nope"))[0]!.message).toMatch(/no TAP query set "nope" in .* \(available: .*good.*\)/);
    expect(problems(() => loadTapQuerySet(root, "empty"))[0]!.message).toMatch(/no query templates/);
    expect(problems(() => loadTapQuerySet(root, "../etc"))[0]!.message).toMatch(/not a plain folder name/);
  });
});

describe("query sets at flock start", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: `tap:\n  url: http://127.0.0.1:9/tap\n  querySets: ${root}\nshutdownTimeout: 10s\n` });
  });
  afterAll(async () => troop?.close());

  it("refuses a flock whose query set does not render, with the template's location (422)", async () => {
    const flock = { name: "badset", count: 1, user_spec: { username_prefix: "bot-bad" }, business: { type: "TAPQuerySetRunner", options: { query_set: "unknown-variable" } } };
    const res = await troop.api("PUT", "/flocks", flock);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: "business.options.query_set", message: expect.stringMatching(/unknown-variable[/\\]a\.sql:3:\d+: \(template\): unknown variable/) }]);
  });

  it("refuses TAPQueryRunner without options (queries are required)", async () => {
    const res = await troop.api("PUT", "/flocks", { name: "noopts", count: 1, user_spec: { username_prefix: "bot-noopts" }, business: { type: "TAPQueryRunner" } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: "business.options.queries", message: "give queries (or, in the older form, query_set)" }]);
  });

  it("refuses a TAP flock when no TAP URL is configured for its dataset", async () => {
    const other = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token" });
    try {
      const res = await other.api("PUT", "/flocks", { name: "nourl", count: 1, user_spec: { username_prefix: "bot-nourl" }, business: { type: "TAPQueryRunner", options: { queries: ["SELECT 1"] } } });
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ path: "business.options.dataset", message: expect.stringMatching(/no TAP URL for dataset dp02: set tap.url \(TROOP_TAP_URL\)/) });
    } finally {
      await other.close();
    }
  });
});

describe("query sets in the service config", () => {
  const yaml = (options: string) => `tap:\n  querySets: ${root}\nautostart:\n  - name: tap\n    count: 1\n    user_spec: {username_prefix: bot-tap}\n    business:\n      type: TAPQuerySetRunner\n      options:\n${options}`;

  it("reports a template that fails to render at the YAML line of query_set, with the template's own location", () => {
    const [p, ...rest] = problems(() => loadConfigText(yaml("        query_set: syntax\n"), "troop.yaml", {}));
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ file: "troop.yaml", line: 10, path: "autostart[0].business.options.query_set" });
    expect(p!.message).toMatch(/syntax[/\\]a\.sql:1:\d+: \(template\): unexpected token/);
  });

  it("accepts a good set; a missing URL and the older TAPQueryRunner form are warnings", () => {
    const { warnings } = loadConfigText(yaml("        query_set: good\n"), "troop.yaml", {});
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/no TAP URL for dataset dp02/)]);
    const old = loadConfigText(yaml("        query_set: good\n").replace("TAPQuerySetRunner", "TAPQueryRunner"), "troop.yaml", { TROOP_TAP_URL: "http://127.0.0.1:9/tap" });
    expect(old.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/older form of TAPQuerySetRunner/)]);
    expect(old.config.tap.url).toBe("http://127.0.0.1:9/tap");
  });
});
