/**
 * The last line of defence on success bodies: every text or JSON response body (2xx too) is
 * scrubbed of known secrets by the server's onSend hook, so a secret that reached a stored
 * record or artifact without being scrubbed (inserted here directly through the store) never
 * leaves the process. Binary bodies and streams are passed through.
 */
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrubbedBody } from "../../src/api/server.js";
import { executionId } from "../../src/businesses/base.js";
import { ArtifactStore } from "../../src/store/artifacts.js";
import { dataDirOf } from "../../src/store/data-dir.js";
import { record } from "../store/history-contract.js";
import { startTroop, type TestTroop } from "../support/troop.js";

/** A secret the scrubber knows (as a minted bot token would be) that a buggy writer stored as is. */
const BOT_TOKEN = "minted-bot-token-canary-4b1d2c3e4f";
/** A multi-line secret (a PEM key): serialized JSON holds it with `\n` escapes, the `raw` field with `\\n`. */
const PEM = "-----BEGIN KEY-----\nMIIEcanary0123456789\n-----END KEY-----";

describe("response bodies scrubbed of known secrets", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: "logLevel: debug\nshutdownTimeout: 5s\nhistory: { flushInterval: 10ms }\n" });
    troop.scrubber.add(BOT_TOKEN);
    troop.scrubber.add(PEM);
  });
  afterAll(async () => troop?.close());

  it("redacts a known secret stored in an execution record in the 200 bodies of GET /executions/{id} and the history page", async () => {
    const leaked = record(Date.now(), { flock: "leaky", result: "failure" });
    leaked.error = { ...leaked.error!, message: `could not log in with ${BOT_TOKEN}`, output_tail: `key:\n${PEM}\n` };
    troop.container.results.history.add(leaked);
    await troop.container.results.history.flush();

    const one = await troop.api("GET", `/executions/${leaked.id}`);
    expect(one.status).toBe(200);
    const page = await troop.api("GET", "/flocks/leaky/executions");
    expect(page.status).toBe(200);
    for (const raw of [one.raw, page.raw]) {
      expect(raw).not.toContain(BOT_TOKEN);
      expect(raw).not.toContain("MIIEcanary0123456789");
      expect(raw).toContain("[REDACTED]");
    }
    expect(one.body.record.error.message).toBe("could not log in with [REDACTED]");
  });

  it("redacts a known secret in a stored executed notebook served by GET /artifacts/{id}", async () => {
    const store = new ArtifactStore(join(dataDirOf(troop.container.config), "artifacts"));
    const id = executionId(new Date());
    await store.save(JSON.stringify({ cells: [{ outputs: [{ text: [`token ${BOT_TOKEN}\n`] }] }] }), { id, name: "leak.ipynb" });
    const r = await troop.api("GET", `/artifacts/${id}`);
    expect(r.status).toBe(200);
    expect(r.raw).not.toContain(BOT_TOKEN);
    expect(r.body.cells[0].outputs[0].text[0]).toBe("token [REDACTED]\n");
  });

  it("sends bodies without a secret unchanged, with a matching content-length", async () => {
    const res = await troop.container.server.inject({ method: "GET", url: "/flocks", headers: { authorization: `Bearer ${troop.token}` } });
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers["content-length"])).toBe(Buffer.byteLength(res.body));
  });
});

describe("scrubbedBody", () => {
  const redact = (t: string) => t.replaceAll("s3cret-value", "[REDACTED]");

  it("scrubs strings whatever their type, and Buffers of text or JSON types", () => {
    expect(scrubbedBody('{"a":"s3cret-value"}', "application/json", redact)).toBe('{"a":"[REDACTED]"}');
    expect(scrubbedBody("s3cret-value", "", redact)).toBe("[REDACTED]");
    for (const type of ["application/json; charset=utf-8", "text/plain", "application/x-ipynb+json", "application/problem+json"]) {
      expect(scrubbedBody(Buffer.from("x s3cret-value"), type, redact)).toBe("x [REDACTED]");
    }
  });

  it("passes binary Buffers, streams, empty bodies and clean texts through as they are", () => {
    const binary = Buffer.from("s3cret-value");
    expect(scrubbedBody(binary, "application/octet-stream", redact)).toBe(binary);
    const stream = Readable.from(["s3cret-value"]);
    expect(scrubbedBody(stream, "text/plain", redact)).toBe(stream);
    expect(scrubbedBody(null, "application/json", redact)).toBe(null);
    const clean = Buffer.from("nothing here");
    expect(scrubbedBody(clean, "text/plain", redact)).toBe(clean);
  });
});
