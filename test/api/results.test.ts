/**
 * Results through the HTTP API in-process with EmptyLoop flocks (no hub): history pages and
 * details, windowed summaries, /metrics, Slack alerts of injected failures, the query's
 * validation, and windows rebuilt from the history after a restart; then a busy flock (more
 * executions than one page holds) filtered by failure class, with its hourly activity and
 * failing run checked against the records, before and after a restart.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { record } from "../store/history-contract.js";
import { parseExposition } from "../support/prom-text.js";
import { messageText, startSlackReceiver, type SlackReceiver } from "../support/slack-receiver.js";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

const database = join(mkdtempSync(join(tmpdir(), "troop-results-")), "troop.sqlite");
const yaml = (slack: string) => `logLevel: debug
shutdownTimeout: 30s
environmentName: api-test
publicBaseUrl: https://troop.example.org/troop
history: { flushInterval: 50ms }
slack: { webhookUrl: "${slack}", dailyReport: null, retryDelay: 50ms }
`;
const emptyFlock = (name: string) => ({ name, count: 2, user_spec: { username_prefix: `bot-${name}` }, business: { type: "EmptyLoop", options: { idle_time: "0.05s" } } });

async function allPages(troop: TestTroop, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const r = await troop.api("GET", `${path}${path.includes("?") ? "&" : "?"}limit=7${cursor ? `&cursor=${cursor}` : ""}`);
    expect(r.status).toBe(200);
    items.push(...r.body.executions);
    cursor = r.body.next_cursor;
  } while (cursor);
  return items;
}

describe("results API", () => {
  let troop: TestTroop;
  let slack: SlackReceiver;
  beforeAll(async () => {
    slack = await startSlackReceiver();
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", database, yaml: yaml(slack.url) });
    await troop.api("PUT", "/flocks", emptyFlock("hist"));
    await waitFor("20 iterations", async () => (await troop.api("GET", "/flocks/hist/summary")).body.success_count >= 20);
    await troop.api("POST", "/flocks/hist/pause");
  });
  afterAll(async () => {
    await troop?.close();
    await slack?.close();
  });

  it("stores every execution and pages them newest first with a cursor", async () => {
    const summary = (await troop.api("GET", "/flocks/hist/summary")).body;
    const items = await allPages(troop, "/flocks/hist/executions");
    expect(items).toHaveLength(summary.success_count);
    expect(items.map((i) => i.id)).toEqual([...items.map((i) => i.id)].sort().reverse());
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(items[0]).toMatchObject({ flock: "hist", business: "EmptyLoop", result: "success", error: null, notebook: null });
    expect(items[0].phases.map((p: { name: string }) => p.name)).toEqual(["execute"]);
    expect(items[0].links).toEqual({
      self: `https://troop.example.org/troop/executions/${items[0].id}`,
      monkey_log: `https://troop.example.org/troop/flocks/hist/monkeys/${items[0].monkey}/log`,
      artifact: null,
    });
    const one = await allPages(troop, "/flocks/hist/executions?monkey=bot-hist1");
    expect(one.every((i) => i.monkey === "bot-hist1")).toBe(true);
    expect(one.length).toBe((await troop.api("GET", "/flocks/hist/monkeys/bot-hist1")).body.business.success_count);
    const mid = items[Math.floor(items.length / 2)];
    const since = await allPages(troop, `/flocks/hist/executions?since=${encodeURIComponent(mid.started_at)}`);
    expect(since.every((i) => i.started_at >= mid.started_at)).toBe(true);
    const until = await allPages(troop, `/flocks/hist/executions?until=${encodeURIComponent(mid.started_at)}`);
    expect(since.length + until.length).toBe(items.length);
  });

  it("returns one execution with its full record and raw JSON", async () => {
    const [first] = (await troop.api("GET", "/flocks/hist/executions?limit=1")).body.executions;
    const r = await troop.api("GET", `/executions/${first.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ...first, record: { id: first.id, monkey: first.monkey, result: "success" } });
    expect(JSON.parse(r.body.raw)).toEqual(r.body.record);
    const missing = await troop.api("GET", "/executions/000000000000-0000");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("execution_not_found");
  });

  it("refuses a bad query with every located problem, and unknown flocks with flock_not_found", async () => {
    const r = await troop.api("GET", "/flocks/hist/executions?limit=0&result=maybe&since=yesterday&cursor=x&extra=1");
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("invalid_request");
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["cursor", "extra", "limit", "result", "since"]);
    expect((await troop.api("GET", "/flocks/nobody/executions")).body.code).toBe("flock_not_found");
    const doc = (await troop.api("GET", "/openapi.json")).body;
    const params = doc.paths["/flocks/{flock}/executions"].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(params).toEqual(["path:flock", "query:result", "query:since", "query:until", "query:monkey", "query:failure_class", "query:limit", "query:cursor"]);
    const bad = await troop.api("GET", "/flocks/hist/executions?failure_class=no_such_class");
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(["failure_class"]);
  });

  it("adds 1 h / 24 h / 7 d windows to both summaries, matching the history", async () => {
    const items = await allPages(troop, "/flocks/hist/executions");
    const flock = (await troop.api("GET", "/flocks/hist/summary")).body;
    const all = (await troop.api("GET", "/summary")).body;
    expect(all.flocks[0]).toEqual(flock);
    expect(flock).toMatchObject({ name: "hist", business: "EmptyLoop", monkey_count: 2, paused: true });
    for (const w of ["1h", "24h", "7d"]) {
      expect(flock.windows[w]).toMatchObject({ executions: items.length, successes: items.length, failures: 0, skipped: 0, success_rate: 1, failure_classes: {} });
      expect(flock.windows[w].phases.execute.count).toBe(items.length);
    }
  });

  it("serves /metrics behind the token, with counts matching the history", async () => {
    expect((await troop.api("GET", "/metrics", undefined, { authorization: "" })).status).toBe(401);
    const r = await troop.api("GET", "/metrics");
    expect(r.status).toBe(200);
    const m = parseExposition(r.raw);
    const n = (await allPages(troop, "/flocks/hist/executions")).length;
    expect(m.sum("troop_executions_total", { flock: "hist", result: "success" })).toBe(n);
    expect(m.sum("troop_phase_duration_seconds_count", { flock: "hist", phase: "execute" })).toBe(n);
    expect(m.sum("troop_phase_duration_seconds_bucket", { flock: "hist", phase: "execute", le: "+Inf" })).toBe(n);
    expect(m.types.get("troop_phase_duration_seconds")).toBe("histogram");
    expect(m.sum("troop_monkeys", { flock: "hist", state: "paused" })).toBe(2);
    expect(m.sum("troop_flock_paused", { flock: "hist" })).toBe(1);
    expect(m.find("nodejs_eventloop_lag_seconds")).toHaveLength(1);
    expect(m.find("troop_alert_queue_depth")).toHaveLength(1);
    expect(m.types.get("troop_history_records_total")).toBe("counter"); // Grafana applies rate() and increase() to it
    const stats = troop.container.results.history.stats();
    expect(m.sum("troop_history_records_total", { outcome: "written" })).toBe(stats.written);
    expect(m.sum("troop_history_records_total", { outcome: "dropped" })).toBe(0);
    expect(m.find("troop_history_records")).toEqual([]);
  });

  it("ships a Grafana dashboard that queries only metrics Troop exports", async () => {
    const dashboard = JSON.parse(readFileSync(new URL("../../deploy/grafana/troop-dashboard.json", import.meta.url), "utf8"));
    const exposition = parseExposition((await troop.api("GET", "/metrics")).raw);
    const exported = new Set(exposition.samples.map((s) => s.name)); // plus families without samples yet (no notebook ran):
    for (const [family, type] of exposition.types) for (const suffix of type === "histogram" ? ["_bucket", "_count", "_sum"] : [""]) exported.add(family + suffix);
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(exprs.flatMap((e) => e.match(/\b(troop|nodejs|process)_[a-z0-9_]+/g) ?? []));
    for (const name of used) expect(exported.has(name) || exported.has(`${name}_count`), name).toBe(true);
    for (const e of exprs.filter((x) => /\b(rate|increase|irate)\(/.test(x))) {
      for (const name of e.match(/\b(?:rate|increase|irate)\((troop_[a-z0-9_]+)/g)!.map((x) => x.slice(x.indexOf("(") + 1))) {
        const family = name.replace(/_(bucket|count|sum)$/, "");
        expect(exposition.types.get(family) === "counter" || (exposition.types.get(family) === "histogram" && family !== name), `${name} in ${e}: rate()/increase() need a counter`).toBe(true);
      }
    }
    for (const m of ["troop_executions_total", "troop_failures_total", "troop_history_records_total", "troop_phase_duration_seconds_bucket", "troop_notebook_duration_seconds_bucket", "troop_cell_duration_seconds_bucket", "troop_monkeys", "troop_alert_queue_depth", "troop_alerts_dropped_total", "nodejs_eventloop_lag_p99_seconds"]) expect(used.has(m), m).toBe(true);
  });

  it("alerts Slack on an injected failure of a running flock, not of a paused one, and counts it", async () => {
    await troop.api("PUT", "/flocks", emptyFlock("live"));
    const fanout = troop.container.results.fanout;
    const failed = record(Date.now(), { flock: "live", monkey: "bot-live1", business: "EmptyLoop", result: "failure" });
    fanout.record(failed);
    fanout.record(record(Date.now(), { flock: "hist", monkey: "bot-hist1", business: "EmptyLoop", result: "failure" }));
    const [alert] = await slack.waitForMessages(1);
    expect(messageText(alert)).toContain("live");
    expect(messageText(alert)).toContain("api-test");
    expect((await troop.api("GET", "/flocks/live/executions?result=failure")).body.executions.map((e: { id: string }) => e.id)).toEqual([failed.id]);
    expect((await troop.api("GET", "/flocks/live/summary")).body.windows["1h"].failure_classes).toEqual({ code_error: 1 });
    await waitFor("recovery", () => slack.messages.length >= 2, 10_000);
    expect(messageText(slack.messages[1]!.body)).toMatch(/recovered/);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.messages.filter((m) => messageText(m.body).includes("hist"))).toEqual([]);
    const m = parseExposition((await troop.api("GET", "/metrics")).raw);
    expect(m.sum("troop_alerts_sent_total", { kind: "failure" })).toBe(1);
    expect(m.sum("troop_failures_total", { flock: "live", phase: "execute_code", failure_class: "code_error" })).toBe(1);
    await troop.api("DELETE", "/flocks/live");
    expect((await troop.api("GET", "/flocks/live/executions?limit=1")).status).toBe(200); // history outlives the flock
  });

  it("sends the daily report with paused flocks listed as paused", async () => {
    const before = slack.messages.length;
    expect(troop.container.results.slack!.sendDailyReport()).toBe(true);
    const messages = await slack.waitForMessages(before + 1);
    const text = messageText(messages[before]);
    expect(text).toContain("Currently running 1 flock against api-test:");
    expect(text).toContain("*hist*: paused (2 monkeys)");
  });

  it("rebuilds the windows from the stored history after a restart", async () => {
    const before = (await troop.api("GET", "/flocks/hist/summary")).body.windows;
    await troop.close();
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", database, yaml: yaml(slack.url) });
    expect(troop.container.results.rebuilt).toBeGreaterThanOrEqual(before["1h"].executions);
    const after = (await troop.api("GET", "/flocks/hist/summary")).body;
    expect(after.paused).toBe(true);
    expect(after.windows).toEqual(before);
  });
});

describe("a busy flock's failure classes, hourly activity and failing run", () => {
  const HOUR = 3_600_000;
  const db = join(mkdtempSync(join(tmpdir(), "troop-busy-")), "troop.sqlite");
  const start = () => startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", database: db, yaml: "logLevel: info\nhistory: { flushInterval: 50ms }\n" });
  const now = Date.now();
  const timeout = (t: number) => {
    const r = record(t, { flock: "busy", monkey: "bot-busy1", business: "EmptyLoop", result: "failure" });
    r.error = { ...r.error!, phase: "spawn_lab", failure_class: "timeout", exception: null, message: "lab did not start in 60 s" };
    return r;
  };
  // 23 h ago → 20 h ago: successes with two timeouts among them; then 20 h of code_error failures
  const records = [
    ...Array.from({ length: 400 }, (_, i) => (i === 50 || i === 51 ? timeout(now - 23 * HOUR + i * 27_000) : record(now - 23 * HOUR + i * 27_000, { flock: "busy", monkey: `bot-busy${(i % 3) + 1}`, business: "EmptyLoop" }))),
    ...Array.from({ length: 1800 }, (_, i) => record(now - 20 * HOUR + 5000 + i * 40_000, { flock: "busy", monkey: `bot-busy${(i % 3) + 1}`, business: "EmptyLoop", result: "failure" })),
    record(now - 26 * HOUR, { flock: "busy", business: "EmptyLoop", result: "failure" }), // before the 24 hours: not in any hour
  ];
  const firstOfRun = records[400]!;
  const newest = records[2199]!;
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await start();
    for (const r of [...records].sort(() => Math.random() - 0.5)) troop.container.results.fanout.record(r); // in any order
  });
  afterAll(async () => troop?.close());

  /** The figures the records give for the hours of an activity answer. */
  const expectedHours = (hours: { start: string }[]) =>
    hours.map((h) => {
      const t0 = Date.parse(h.start);
      const inHour = records.filter((r) => Date.parse(r.started_at) >= t0 && Date.parse(r.started_at) < t0 + HOUR);
      return { start: h.start, executions: inHour.length, failures: inHour.filter((r) => r.result === "failure").length };
    });

  it("filters the executions by failure class on the server, older failures included", async () => {
    const timeouts = await troop.api("GET", "/flocks/busy/executions?failure_class=timeout&limit=200");
    expect(timeouts.status).toBe(200);
    expect(timeouts.body.executions.map((e: { id: string }) => e.id)).toEqual([records[51]!.id, records[50]!.id]); // older than the 2,000 newest
    expect(timeouts.body.executions[0].error).toEqual({ phase: "spawn_lab", failure_class: "timeout", exception: null, message: "lab did not start in 60 s" });
    const code = await allPages(troop, "/flocks/busy/executions?failure_class=code_error");
    expect(code).toHaveLength(1801);
    expect(code.every((e) => e.error.failure_class === "code_error")).toBe(true);
    expect((await troop.api("GET", "/flocks/busy/executions?failure_class=timeout&result=success")).body.executions).toEqual([]);
  });

  it("serves exact hourly figures and the first failure of a run longer than any page", async () => {
    const r = await troop.api("GET", "/flocks/busy/activity");
    expect(r.status).toBe(200);
    const a = r.body;
    expect(a.hours).toHaveLength(24);
    const intoHour = Date.now() - Date.parse(a.hours[23].start); // the current hour is the last
    expect(intoHour >= 0 && intoHour < HOUR + 5000).toBe(true);
    expect(a.hours).toEqual(expectedHours(a.hours));
    const inDay = a.hours.reduce((n: number, h: { executions: number }) => n + h.executions, 0);
    expect(inDay).toBeGreaterThan(1000); // more than the dashboard used to read
    expect(a.failing.since).toBe(firstOfRun.started_at);
    expect(a.failing.first).toMatchObject({ id: firstOfRun.id, result: "failure", error: { failure_class: "code_error" } });
    expect(a.failing.last).toMatchObject({ id: newest.id, links: { self: `/executions/${newest.id}` } });
    expect((await troop.api("GET", "/flocks/nobody/activity")).body.code).toBe("flock_not_found");
    const doc = (await troop.api("GET", "/openapi.json")).body;
    expect(doc.paths["/flocks/{flock}/activity"].get.responses["200"]).toBeDefined();
  });

  it("gives the same figures after a restart, and ends the run at a later success", async () => {
    const before = (await troop.api("GET", "/flocks/busy/activity")).body;
    await troop.close();
    troop = await start();
    const after = (await troop.api("GET", "/flocks/busy/activity")).body;
    expect(after.failing).toEqual(before.failing);
    expect(after.hours).toEqual(expectedHours(after.hours));
    const ok = record(Date.parse(newest.started_at) + 1000, { flock: "busy", business: "EmptyLoop" });
    records.push(ok);
    troop.container.results.fanout.record(ok);
    const recovered = (await troop.api("GET", "/flocks/busy/activity")).body;
    expect(recovered.failing).toBe(null);
    expect(recovered.hours).toEqual(expectedHours(recovered.hours));
  });
});
