/**
 * Slack alerts from flocks on the real JupyterHub, received by a webhook receiver on
 * 127.0.0.1: content with the Jupyter context, one alert per episode, recovery, threshold,
 * paused-flock silence, and a failing, hanging or unreachable Slack that never delays a
 * monkey's next iteration.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { parseExposition } from "../support/prom-text.js";
import { scheduledFailure } from "../support/scheduled-failure.js";
import { messageText, startSlackReceiver, type SlackReceiver } from "../support/slack-receiver.js";
import { pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");
const fast = { error_idle_time: "0.5s" };

const config = (url: string, slack: string) => `logLevel: debug
shutdownTimeout: 60s
environmentName: e2e-env
publicBaseUrl: https://troop.example.org
history: { flushInterval: 100ms }
slack: { webhookUrl: "${url}", dailyReport: null, ${slack} }
`;

/** Kinds of the messages about `flock`, in order: failure 🚨, repeat 🔁, recovery ✅. */
function kinds(receiver: SlackReceiver, flock: string): string[] {
  return receiver.messages
    .map((m) => m.body.blocks[0].text.text as string)
    .filter((h) => h.includes(` ${flock}:`))
    .map((h) => (h.startsWith("🚨") ? "failure" : h.startsWith("🔁") ? "repeat" : h.startsWith("✅") ? "recovery" : h));
}

async function executions(troop: TestTroop, flock: string): Promise<any[]> {
  return (await troop.api("GET", `/flocks/${flock}/executions?limit=1000`)).body.executions.reverse(); // oldest first
}

async function runs(troop: TestTroop, flock: string, monkey: string, n: number, what: "all" | "failures" = "all"): Promise<void> {
  await waitFor(`${n} ${what} of ${flock}`, async () => {
    const b = (await troop.api("GET", `/flocks/${flock}/monkeys/${monkey}`)).body.business;
    return (what === "all" ? b.success_count + b.failure_count : b.failure_count) >= n;
  }, 180_000, 300);
}

describe("Slack alerts on a real JupyterHub", () => {
  let troop: TestTroop;
  let receiver: SlackReceiver;
  beforeAll(async () => {
    receiver = await startSlackReceiver();
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: config(receiver.url, "retryDelay: 100ms, timeout: 2s") });
  });
  afterEach(async () => {
    for (const f of (await troop.api("GET", "/flocks")).body) await troop.api("DELETE", `/flocks/${f}`);
  });
  afterAll(async () => {
    await troop?.close();
    await receiver?.close();
  });

  it("alerts when a key starts failing, with the Jupyter context, then recovers — once per episode", async () => {
    const schedule = scheduledFailure(3);
    await troop.api("PUT", "/flocks", pythonFlock("sa", { prefix: "bot-sa", code: schedule.code, options: fast }));
    await runs(troop, "sa", "bot-sa1", 7);
    await troop.api("POST", "/flocks/sa/pause");
    await waitFor("4 messages", () => kinds(receiver, "sa").length >= 4, 20_000);
    expect(kinds(receiver, "sa")).toEqual(["failure", "recovery", "failure", "recovery"]);
    const history = await executions(troop, "sa");
    const third = history[2];
    expect(third.result).toBe("failure");
    const alert = receiver.messages.find((m) => kinds({ messages: [m] } as SlackReceiver, "sa")[0] === "failure")!.body;
    const text = messageText(alert);
    for (const want of ["e2e-env", "*Flock*\nsa", "*Monkey*\nbot-sa1", "*Business*\nNubladoPythonLoop", "*Phase*\nexecute_code", "code_error (ValueError)", "*Image*", "ValueError: scheduled failure 3", "raise ValueError", "*Traceback*"]) expect(text).toContain(want);
    expect(alert.blocks.find((b: any) => b.type === "actions").elements.map((e: any) => e.url)).toEqual([`https://troop.example.org/ui/executions/${third.id}`, `https://troop.example.org/executions/${third.id}`]);
    const recovery = messageText(receiver.messages.find((m) => kinds({ messages: [m] } as SlackReceiver, "sa")[0] === "recovery")!.body);
    expect(recovery).toMatch(/sa execute_code \(ValueError\) succeeded again after 1 failure/);
    const all = JSON.stringify(receiver.messages);
    for (const secret of troop.scrubber.seen) expect(all).not.toContain(secret);
  });

  it("sends one alert for a key that keeps failing (repeats are counted, not sent)", async () => {
    await troop.api("PUT", "/flocks", pythonFlock("sz", { prefix: "bot-sz", code: "1/0", options: fast }));
    await runs(troop, "sz", "bot-sz1", 4, "failures");
    await new Promise((r) => setTimeout(r, 1000));
    expect(kinds(receiver, "sz")).toEqual(["failure"]);
    expect(messageText(receiver.messages.find((m) => messageText(m.body).includes(" sz:"))!.body)).toContain("ZeroDivisionError");
  });

  it("never alerts for a paused flock: an alert still queued when its flock is paused is dropped", async () => {
    receiver.mode = "hang";
    const before = receiver.requests;
    await troop.api("PUT", "/flocks", pythonFlock("sp", { prefix: "bot-sp", code: "raise RuntimeError('paused silence')", options: fast }));
    await waitFor("the alert in flight", () => receiver.requests > before, 120_000);
    await troop.api("POST", "/flocks/sp/pause");
    receiver.mode = "ok";
    await waitFor("the queue drained", async () => parseExposition((await troop.api("GET", "/metrics")).raw).sum("troop_alert_queue_depth") === 0, 20_000);
    expect(kinds(receiver, "sp")).toEqual([]);
    expect(parseExposition((await troop.api("GET", "/metrics")).raw).sum("troop_alerts_dropped_total", { reason: "paused" })).toBe(1);
  });
});

describe("alert threshold on a real JupyterHub", () => {
  let troop: TestTroop;
  let receiver: SlackReceiver;
  afterAll(async () => {
    for (const f of (await troop?.api("GET", "/flocks"))?.body ?? []) await troop.api("DELETE", `/flocks/${f}`);
    await troop?.close();
    await receiver?.close();
  });

  it("alerts only after 3 consecutive failures of a key", async () => {
    receiver = await startSlackReceiver();
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: config(receiver.url, "threshold: 3, retryDelay: 100ms") });
    await troop.api("PUT", "/flocks", pythonFlock("st", { prefix: "bot-st", code: scheduledFailure(3).code, options: fast }));
    await troop.api("PUT", "/flocks", pythonFlock("sta", { prefix: "bot-sta", code: "1/0", options: fast }));
    await runs(troop, "sta", "bot-sta1", 2, "failures");
    expect(kinds(receiver, "sta")).toEqual([]);
    await runs(troop, "sta", "bot-sta1", 4, "failures");
    await runs(troop, "st", "bot-st1", 7);
    await waitFor("the alert", () => kinds(receiver, "sta").length >= 1, 20_000);
    expect(kinds(receiver, "sta")).toEqual(["failure"]);
    expect(kinds(receiver, "st")).toEqual([]); // fails every third run: never 3 in a row
    const alert = receiver.messages.find((m) => messageText(m.body).includes(" sta:"))!.body;
    expect(messageText(alert)).toContain("Alerted after *3* consecutive failures");
    const failures = (await executions(troop, "sta")).filter((e) => e.result === "failure");
    expect(alert.blocks.find((b: any) => b.type === "actions").elements.map((e: any) => e.url)).toEqual([`https://troop.example.org/ui/executions/${failures[2].id}`, `https://troop.example.org/executions/${failures[2].id}`]);
  });
});

describe("a failing Slack never delays a monkey", () => {
  let troop: TestTroop;
  let receiver: SlackReceiver;
  afterAll(async () => {
    await troop?.api("DELETE", "/flocks/sd");
    await troop?.close();
    await receiver?.close();
  });

  it("keeps each next iteration on time while Slack answers 500, hangs, then is unreachable", async () => {
    receiver = await startSlackReceiver("500");
    // every failure is a message (repeat window 0), a small queue, slow retries, Slack's full 10 s timeout
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: config(receiver.url, "repeatWindow: 0, queueSize: 2, maxAttempts: 3, retryDelay: 1s") });
    await troop.api("PUT", "/flocks", pythonFlock("sd", { prefix: "bot-sd", code: "1/0", options: fast }));
    await runs(troop, "sd", "bot-sd1", 4, "failures");
    receiver.mode = "hang";
    await runs(troop, "sd", "bot-sd1", 8, "failures");
    await receiver.close(); // now unreachable
    await runs(troop, "sd", "bot-sd1", 12, "failures");
    await troop.api("POST", "/flocks/sd/pause");
    const history = await executions(troop, "sd");
    expect(history.length).toBeGreaterThanOrEqual(12);
    const gaps = history.slice(1).map((e, i) => Date.parse(e.started_at) - Date.parse(history[i].ended_at));
    expect(Math.max(...gaps)).toBeLessThan(500 + 1000); // error_idle_time 0.5 s + scheduling slack
    const m = parseExposition((await troop.api("GET", "/metrics")).raw);
    expect(m.sum("troop_alerts_dropped_total", { reason: "queue_full" })).toBeGreaterThan(0);
    expect(m.sum("troop_alerts_sent_total")).toBe(0);
    expect(troop.logs.join("")).toMatch(/slack message dropped/);
    expect(troop.logs.join("")).not.toContain("webhook-secret-canary");
  });
});
