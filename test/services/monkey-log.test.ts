/**
 * A monkey's own log (src/services/monkey-log.ts): bounded in bytes past its limit (oldest lines
 * dropped first and counted, the newest kept, one oversized line cut), levels filtered, lines
 * scrubbed before they are kept or forwarded; and the bound through the API's `/log` route.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonkeyLog } from "../../src/services/monkey-log.js";
import { startTroop, waitFor, type TestTroop } from "../support/troop.js";

/** A MonkeyLog whose forwarded process-log lines are collected as parsed JSON. */
function makeLog(opts: { maxBytes: number; level?: string; scrub?: (t: string) => string }): { log: MonkeyLog; forwarded: { level: number; msg: string }[] } {
  const forwarded: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n").filter(Boolean)) forwarded.push(JSON.parse(line));
      cb();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  const log = new MonkeyLog({ maxBytes: opts.maxBytes, level: opts.level ?? "DEBUG", logger, scrub: opts.scrub ?? ((t) => t) });
  return { log, forwarded };
}

/** The kept lines of `text()` (without the "dropped" header) and that header, if any. */
function split(text: string): { header: string | null; lines: string[] } {
  const all = text.split("\n").slice(0, -1);
  const header = all[0]?.startsWith("[") ? all.shift()! : null;
  return { header, lines: all };
}

const LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (DEBUG|INFO|WARN|ERROR) /;

describe("MonkeyLog", () => {
  it("keeps every line, timestamped with its level, while under the limit", () => {
    const { log } = makeLog({ maxBytes: 10_000 });
    log.debug("one");
    log.info("two");
    log.warn("three");
    log.error("four");
    const { header, lines } = split(log.text());
    expect(header).toBe(null);
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines.map((l) => l.replace(LINE, "$1 "))).toEqual(["DEBUG one", "INFO two", "WARN three", "ERROR four"]);
  });

  it("stays within maxBytes past the limit: oldest lines dropped and counted, the newest kept", () => {
    const maxBytes = 2_000;
    const { log } = makeLog({ maxBytes });
    const n = 1_000;
    for (let i = 0; i < n; i++) log.info(`line ${i} ${"x".repeat(40)}`);
    const text = log.text();
    const { header, lines } = split(text);
    const kept = lines.join("\n") + "\n";
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(maxBytes);
    // nearly full: at most one line's worth of room left unused
    expect(Buffer.byteLength(kept)).toBeGreaterThan(maxBytes - 100);
    expect(lines.at(-1)).toMatch(new RegExp(`line ${n - 1} x+$`));
    // the kept lines are the newest ones, in order, with none missing in between
    const numbers = lines.map((l) => Number(/ line (\d+) /.exec(l)?.[1]));
    expect(numbers).toEqual(numbers.map((_, i) => n - numbers.length + i));
    expect(header).toBe(`[${n - lines.length} older lines dropped to stay under ${maxBytes} bytes]`);
  });

  it("counts bytes, not characters (multi-byte text)", () => {
    const maxBytes = 1_500;
    const { log } = makeLog({ maxBytes });
    for (let i = 0; i < 200; i++) log.info(`${i} ${"é€😀".repeat(10)}`);
    const { lines } = split(log.text());
    expect(Buffer.byteLength(lines.join("\n") + "\n")).toBeLessThanOrEqual(maxBytes);
    expect(lines.at(-1)).toContain("199 ");
  });

  it("cuts one line longer than the whole limit instead of keeping it whole", () => {
    const maxBytes = 1_024;
    const { log } = makeLog({ maxBytes });
    log.info("before");
    log.error(`Traceback ${"y".repeat(50_000)}`);
    const text = log.text();
    const { lines } = split(text);
    expect(Buffer.byteLength(lines.join("\n") + "\n")).toBeLessThanOrEqual(maxBytes);
    expect(lines.at(-1)).toMatch(/ERROR Traceback y+/);
    expect(lines.at(-1)).toMatch(/truncated/);
    // a later line still comes in, and the log stays bounded
    log.info("after");
    expect(split(log.text()).lines.at(-1)).toMatch(/INFO after$/);
    expect(Buffer.byteLength(split(log.text()).lines.join("\n") + "\n")).toBeLessThanOrEqual(maxBytes);
  });

  it("cuts an oversized multi-byte line on a character boundary", () => {
    const { log } = makeLog({ maxBytes: 1_024 });
    log.info("😀".repeat(2_000));
    const { lines } = split(log.text());
    expect(lines.at(-1)).not.toContain("\uFFFD");
    expect(Buffer.byteLength(lines.join("\n") + "\n")).toBeLessThanOrEqual(1_024);
  });

  it("drops lines below its level (WARNING means warn) and forwards the rest to the process log", () => {
    const { log, forwarded } = makeLog({ maxBytes: 10_000, level: "WARNING" });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(split(log.text()).lines.map((l) => l.replace(LINE, "$1 "))).toEqual(["WARN w", "ERROR e"]);
    expect(forwarded.map((f) => f.msg)).toEqual(["w", "e"]);
  });

  it("scrubs a line before keeping or forwarding it", () => {
    const { log, forwarded } = makeLog({ maxBytes: 10_000, scrub: (t) => t.replaceAll("s3cret-token", "[REDACTED]") });
    log.error("login with s3cret-token failed");
    expect(log.text()).not.toContain("s3cret-token");
    expect(log.text()).toContain("login with [REDACTED] failed");
    expect(JSON.stringify(forwarded)).not.toContain("s3cret-token");
  });
});

describe("GET /flocks/{flock}/monkeys/{monkey}/log past monkeyLogMaxBytes", () => {
  let troop: TestTroop;
  beforeAll(async () => {
    troop = await startTroop({ hubUrl: "http://127.0.0.1:9", adminToken: "unused-admin-token", yaml: "logLevel: warn\nmonkeyLogMaxBytes: 1024\n" });
  });
  afterAll(async () => troop?.close());

  it("serves a log bounded by the configured size after many iterations", async () => {
    const put = await troop.api("PUT", "/flocks", { name: "chatty", count: 1, user_spec: { username_prefix: "bot-chatty" }, business: { type: "EmptyLoop", options: { idle_time: 0, log_level: "DEBUG" } } });
    expect(put.status).toBe(201);
    await waitFor("many iterations", async () => (await troop.api("GET", "/flocks/chatty/summary")).body.success_count >= 200);
    const r = await troop.api("GET", "/flocks/chatty/monkeys/bot-chatty1/log");
    expect(r.status).toBe(200);
    const { header, lines } = split(r.raw);
    expect(header).toMatch(/^\[\d+ older lines dropped to stay under 1024 bytes\]$/);
    expect(Buffer.byteLength(lines.join("\n") + "\n")).toBeLessThanOrEqual(1024);
    expect(lines.at(-1)).toMatch(/iteration succeeded/);
    await troop.api("DELETE", "/flocks/chatty");
  });
});
