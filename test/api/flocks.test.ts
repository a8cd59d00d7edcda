/**
 * The HTTP API in-process (Fastify inject) with EmptyLoop flocks, which never contact the hub.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

const emptyFlock = (name: string, count = 2, options: Record<string, unknown> = { idle_time: "0.05s" }) => ({
  name,
  count,
  user_spec: { username_prefix: `bot-${name}` },
  business: { type: "EmptyLoop", options },
});

describe("API", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token" });
  });
  afterAll(async () => troop?.close());

  it("refuses calls without the bearer token with 401 unauthorized", async () => {
    for (const authorization of ["", "Bearer wrong-token-0123456789", "Basic abc"]) {
      const r = await troop.api("GET", "/flocks", undefined, { authorization });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: "unauthorized" });
    }
  });

  it("serves health and readiness without a token", async () => {
    expect((await troop.api("GET", "/healthz", undefined, { authorization: "" })).body).toEqual({ status: "ok" });
    expect((await troop.api("GET", "/readyz", undefined, { authorization: "" })).body).toEqual({ status: "ready", flocks: 0 });
  });

  it("starts a flock at once with 201 and a Location, then counts its iterations", async () => {
    const r = await troop.api("PUT", "/flocks", emptyFlock("empty"));
    expect(r.status).toBe(201);
    expect(r.body.monkeys.map((m: { name: string }) => m.name)).toEqual(["bot-empty1", "bot-empty2"]);
    await waitFor("iterations", async () => (await troop.api("GET", "/flocks/empty/summary")).body.success_count >= 10);
    expect((await troop.api("GET", "/flocks")).body).toEqual(["empty"]);
    expect((await troop.api("GET", "/flocks/empty/monkeys")).body).toEqual(["bot-empty1", "bot-empty2"]);
    const summary = (await troop.api("GET", "/summary")).body;
    expect(summary.flocks[0]).toMatchObject({ name: "empty", business: "EmptyLoop", monkey_count: 2, failure_count: 0, paused: false });
    expect(summary.ci_manager).toBe(null);
  });

  it("returns stable codes for unknown flocks, monkeys and routes", async () => {
    expect((await troop.api("GET", "/flocks/nope")).body.code).toBe("flock_not_found");
    expect((await troop.api("GET", "/flocks/empty/monkeys/bot-nope")).body.code).toBe("monkey_not_found");
    const r = await troop.api("GET", "/nowhere");
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("not_found");
  });

  it("answers 422 with every located problem for an invalid flock and changes nothing", async () => {
    const r = await troop.api("PUT", "/flocks", { name: "bad name!", count: 0, users: [{ username: "alice" }], business: { type: "EmptyLoop", options: { idle: 1 } } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("invalid_request");
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "count", "users[0].username", "business.options.idle"]));
    expect((await troop.api("GET", "/flocks")).body).toEqual(["empty"]);
  });

  it("answers 400 invalid_json for a malformed body and 413 for a huge one", async () => {
    const bad = await troop.container.server.inject({ method: "PUT", url: "/flocks", headers: { authorization: `Bearer ${troop.token}`, "content-type": "application/json" }, payload: "{nope" });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).code).toBe("invalid_json");
    const huge = await troop.container.server.inject({ method: "PUT", url: "/flocks", headers: { authorization: `Bearer ${troop.token}`, "content-type": "application/json" }, payload: JSON.stringify({ x: "y".repeat(2_000_000) }) });
    expect(huge.statusCode).toBe(413);
    expect(JSON.parse(huge.body).code).toBe("body_too_large");
  });

  it("accepts the old name JupyterPythonLoop and reports the current one", async () => {
    const r = await troop.api("PUT", "/flocks", { name: "old", count: 1, user_spec: { username_prefix: "bot-old" }, business: { type: "JupyterPythonLoop", options: { idle_time: "1h" } } });
    expect(r.status).toBe(201);
    expect((await troop.api("GET", "/flocks/old/summary")).body.business).toBe("NubladoPythonLoop");
    expect(troop.logs.filter((l) => l.includes("JupyterPythonLoop is deprecated"))).toHaveLength(1);
    await troop.api("DELETE", "/flocks/old");
  });

  it("pauses and resumes a flock, and shows paused in every summary", async () => {
    expect((await troop.api("POST", "/flocks/empty/pause")).body.paused).toBe(true);
    const before = (await troop.api("GET", "/flocks/empty/summary")).body.success_count;
    await new Promise((r) => setTimeout(r, 300));
    expect((await troop.api("GET", "/flocks/empty/summary")).body.success_count).toBe(before);
    expect((await troop.api("GET", "/summary")).body.flocks[0].paused).toBe(true);
    expect((await troop.api("GET", "/flocks/empty/monkeys/bot-empty1")).body.state).toBe("paused");
    await troop.api("POST", "/flocks/empty/resume");
    await waitFor("more iterations", async () => (await troop.api("GET", "/flocks/empty/summary")).body.success_count > before);
  });

  it("changes count of a user_spec flock and refuses it for a users flock", async () => {
    expect((await troop.api("PATCH", "/flocks/empty", { count: 3 })).body.monkeys).toHaveLength(3);
    expect((await troop.api("PATCH", "/flocks/empty", { count: 0 })).body.code).toBe("invalid_request");
    await troop.api("PUT", "/flocks", { name: "listed", count: 1, users: [{ username: "bot-listed" }], business: { type: "EmptyLoop", options: { idle_time: "1h" } } });
    const r = await troop.api("PATCH", "/flocks/listed", { count: 2 });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("invalid_flock_state");
  });

  it("serves a monkey log as bounded text", async () => {
    const r = await troop.container.server.inject({ method: "GET", url: "/flocks/empty/monkeys/bot-empty1/log", headers: { authorization: `Bearer ${troop.token}` } });
    expect(r.headers["content-type"]).toMatch(/text\/plain/);
    expect(r.body).toMatch(/INFO starting EmptyLoop/);
  });

  it("publishes an OpenAPI document generated from the schemas, and a browsable page", async () => {
    const doc = (await troop.api("GET", "/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/flocks", "/flocks/{flock}", "/flocks/{flock}/pause", "/run", "/summary"]));
    expect(JSON.stringify(doc.paths["/flocks"].put.requestBody)).toContain("user_spec");
    const page = await troop.container.server.inject({ method: "GET", url: "/docs" });
    expect(page.body).toContain("<h1>Troop API</h1>");
  });

  it("applies the business's option defaults when the options block is omitted", async () => {
    await troop.api("PUT", "/flocks", { name: "defaults", count: 1, user_spec: { username_prefix: "bot-defaults" }, business: { type: "EmptyLoop" } });
    await waitFor("one iteration", async () => (await troop.api("GET", "/flocks/defaults/summary")).body.success_count >= 1);
    await new Promise((r) => setTimeout(r, 300));
    // idle_time defaults to 1m: no second iteration yet (without defaults it would spin)
    expect((await troop.api("GET", "/flocks/defaults/summary")).body.success_count).toBe(1);
    await troop.api("DELETE", "/flocks/defaults");
  });

  it("deletes a flock with 204", async () => {
    expect((await troop.api("DELETE", "/flocks/empty")).status).toBe(204);
    expect((await troop.api("GET", "/flocks/empty")).status).toBe(404);
  });
});
