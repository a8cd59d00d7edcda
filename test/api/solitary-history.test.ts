/**
 * Solitary runs (`POST /run`) are stored in the history with flock null: the answer carries the
 * execution id, `GET /executions/{id}` returns the record, `GET /solitary/executions` lists and
 * filters them, and no flock's history or summary counts them. In-process, EmptyLoop (no hub).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

const run = (username: string) => ({ user: { username }, business: { type: "EmptyLoop", options: { idle_time: "0.01s" } } });

describe("solitary runs in the history", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: "logLevel: warn\nshutdownTimeout: 10s\nhistory: { flushInterval: 50ms }\n" });
  });
  afterAll(async () => troop?.close());

  it("stores each run with flock null and answers with its execution id", async () => {
    const r = await troop.api("POST", "/run", run("bot-solo1"));
    expect(r.status, r.raw).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.execution_id).toMatch(/^[0-9a-f]{12}-/);
    expect(r.body.execution_id).toBe(r.body.execution.id);
    const one = await troop.api("GET", `/executions/${r.body.execution_id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: r.body.execution_id, flock: null, monkey: "bot-solo1", business: "EmptyLoop", result: "success", links: { monkey_log: null } });
    expect(JSON.parse(one.body.raw).flock).toBeNull();
  });

  it("lists solitary runs newest first, filterable like a flock's, and keeps them out of flocks", async () => {
    const second = (await troop.api("POST", "/run", run("bot-solo2"))).body.execution_id;
    const all = await troop.api("GET", "/solitary/executions");
    expect(all.status).toBe(200);
    expect(all.body.executions.length).toBeGreaterThanOrEqual(2);
    expect(all.body.executions[0].id).toBe(second);
    expect(all.body.executions.every((e: { flock: string | null }) => e.flock === null)).toBe(true);
    const mine = await troop.api("GET", "/solitary/executions?monkey=bot-solo2");
    expect(mine.body.executions.map((e: { id: string }) => e.id)).toEqual([second]);
    expect((await troop.api("GET", "/solitary/executions?result=failure")).body.executions).toEqual([]);
    expect((await troop.api("GET", "/solitary/executions?limit=0")).status).toBe(422);

    await troop.api("PUT", "/flocks", { name: "busy", count: 1, user_spec: { username_prefix: "bot-busy" }, business: { type: "EmptyLoop", options: { idle_time: "0.05s" } } });
    await waitFor("an iteration", async () => (await troop.api("GET", "/flocks/busy/summary")).body.success_count >= 1);
    const flockItems = (await troop.api("GET", "/flocks/busy/executions")).body.executions;
    expect(flockItems.every((e: { flock: string }) => e.flock === "busy")).toBe(true);
    expect((await troop.api("GET", "/summary")).body.flocks.map((f: { name: string }) => f.name)).toEqual(["busy"]);
    await troop.api("DELETE", "/flocks/busy");
  });

  it("documents the route and the id in the OpenAPI document", async () => {
    const doc = (await troop.api("GET", "/openapi.json")).body;
    expect(doc.paths["/solitary/executions"].get.parameters.map((p: { name: string }) => p.name)).toContain("cursor");
    expect(JSON.stringify(doc.paths["/run"].post.responses["200"])).toContain("execution_id");
  });
});
