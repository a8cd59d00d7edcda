/**
 * The Slack sink against a webhook receiver on 127.0.0.1: Block Kit content, bounds, secrets,
 * and a queue that never blocks its caller while Slack fails, hangs or is unreachable.
 */
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "../../src/clients/http.js";
import { SlackWebhookClient } from "../../src/clients/slack.js";
import { slackConfigSchema } from "../../src/config/results-schema.js";
import type { Execution } from "../../src/models/execution.js";
import { LIMITS } from "../../src/services/alerts/blocks.js";
import { SlackAlertSink } from "../../src/services/alerts/slack-sink.js";
import { LinkBuilder } from "../../src/services/results/executions.js";
import { SecretScrubber } from "../../src/services/secrets.js";
import { record } from "../store/history-contract.js";
import { messageText, startSlackReceiver, unreachableWebhookUrl, type SlackReceiver } from "../support/slack-receiver.js";

const SECRET = "bot-token-canary-0123456789abcdef";
const RUNNING = {}; // the flock instance every record here belongs to
let receiver: SlackReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

function sink(url: string, opts: { config?: Record<string, unknown>; paused?: Set<string>; lines?: string[] } = {}) {
  const scrubber = new SecretScrubber();
  scrubber.add(SECRET);
  scrubber.add(url);
  const lines = opts.lines ?? [];
  const logger = pino({ level: "debug" }, { write: (l: string) => void lines.push(scrubber.scrub(l)) });
  const counts = { sent: [] as string[], dropped: [] as string[] };
  const client = new SlackWebhookClient(new HttpClient("troop-test"), url);
  const s = new SlackAlertSink({
    config: slackConfigSchema.parse({ webhookUrl: url, dailyReport: null, retryDelay: "50ms", timeout: "500ms", maxAttempts: 3, ...opts.config }),
    environment: "test-env",
    links: new LinkBuilder({ publicBaseUrl: "https://troop.example.org/troop", pathPrefix: "" }),
    post: (m, signal) => client.post(m, signal),
    scrubber,
    logger,
    flockState: (f) => ({ paused: opts.paused?.has(f) ?? false, instance: RUNNING }),
    summaries: () => [],
    onSent: (k) => counts.sent.push(k),
    onDropped: (r) => counts.dropped.push(r),
  });
  return { sink: s, counts, lines };
}

function notebookFailure(t: number): Execution {
  const r = record(t, { result: "failure", notebook: { path: "tutorials/02-<api>.ipynb", repo_url: null, repo_ref: null, commit: "abc", cells: [] } });
  r.error = {
    ...r.error!,
    message: `KeyError: 'flux' while using ${SECRET}`,
    code: `import os\nprint(os.environ["TOKEN"])  # ${SECRET}\n` + "x = 1\n".repeat(500),
    exception: "KeyError",
    traceback: "Traceback (most recent call last):\n" + "  File \"<cell>\", line 1\n".repeat(400) + "KeyError: 'flux'",
    notebook: "tutorials/02-<api>.ipynb",
    cell_number: 7,
    cell_id: "c-7",
  };
  return r;
}

describe("Slack alerts", () => {
  it("posts a Block Kit failure alert with the Jupyter context, bounded, escaped and without secrets, then a recovery", async () => {
    receiver = await startSlackReceiver();
    const { sink: s } = sink(receiver.url);
    const failed = notebookFailure(Date.now());
    s.write(failed, { paused: false, instance: RUNNING });
    s.write(record(Date.now(), { notebook: { path: "tutorials/02-<api>.ipynb", repo_url: null, repo_ref: null, commit: "abc", cells: [] } }), { paused: false, instance: RUNNING });
    const [alert, recovery] = await receiver.waitForMessages(2);
    const text = messageText(alert);
    for (const want of ["test-env", "bot-f1", "NubladoPythonLoop", "execute_code", "code_error (KeyError)", "Weekly 2026_47", "tutorials/02-&lt;api&gt;.ipynb", "7 (c-7)", "KeyError: 'flux'", "import os", "Traceback"]) expect(text).toContain(want);
    expect(alert.blocks[0]).toMatchObject({ type: "header" });
    const buttons = alert.blocks.find((b: any) => b.type === "actions").elements;
    expect(buttons[0]).toMatchObject({ text: { text: "View execution" }, url: `https://troop.example.org/troop/ui/executions/${failed.id}` }); // the dashboard page
    expect(buttons[1]).toMatchObject({ text: { text: "API record" }, url: `https://troop.example.org/troop/executions/${failed.id}` });
    const sections = alert.blocks.filter((b: any) => b.type === "section" && b.text).map((b: any) => b.text.text as string);
    expect(Math.max(...sections.map((t: string) => t.length))).toBeLessThan(3000);
    expect(sections.find((t: string) => t.startsWith("*Traceback*"))!.length).toBeLessThanOrEqual(LIMITS.traceback + 40);
    expect(sections.find((t: string) => t.startsWith("*Traceback*"))).toMatch(/KeyError: 'flux'```$/);
    expect(JSON.stringify(alert)).not.toContain(SECRET);
    expect(JSON.stringify(alert)).toContain("[REDACTED]");
    expect(messageText(recovery)).toMatch(/recovered/);
    expect(messageText(recovery)).toMatch(/after 1 failure/);
    await s.close();
  });

  it.each(["500", "hang", "unreachable"] as const)("never blocks the caller while Slack is %s; drops are counted and logged without the URL", async (mode) => {
    let url: string;
    if (mode === "unreachable") url = await unreachableWebhookUrl();
    else {
      receiver = await startSlackReceiver(mode);
      url = receiver.url;
    }
    const lines: string[] = [];
    const { sink: s, counts } = sink(url, { config: { queueSize: 3 }, lines });
    const started = performance.now();
    for (let i = 0; i < 10; i++) s.write(record(Date.now() + i, { result: "failure", flock: `f${i}` }), { paused: false, instance: RUNNING });
    expect(performance.now() - started).toBeLessThan(100); // ten alerts queued or dropped at once
    expect(counts.dropped.filter((r) => r === "queue_full")).toHaveLength(7);
    await s.queue.idle();
    expect(counts.dropped.filter((r) => r === "failed")).toHaveLength(3);
    expect(counts.sent).toEqual([]);
    if (receiver) expect(receiver.requests).toBe(9); // 3 messages × 3 attempts
    const log = lines.join("");
    expect(log).toMatch(/slack message dropped/);
    expect(log).toContain("queue_full");
    expect(log).not.toContain("webhook-secret-canary");
    await s.close();
  });

  it("honours 429 Retry-After, and drops at once what Slack refuses (404)", async () => {
    receiver = await startSlackReceiver("429");
    const { sink: s, counts } = sink(receiver.url, { config: { maxAttempts: 5 } });
    s.write(record(Date.now(), { result: "failure" }), { paused: false, instance: RUNNING });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toBe(1); // waiting the second Retry-After, not the 50 ms backoff
    receiver.mode = "ok";
    await s.queue.idle();
    expect(counts.sent).toEqual(["failure"]);
    receiver.mode = "404";
    s.write(record(Date.now(), { result: "failure", flock: "g" }), { paused: false, instance: RUNNING });
    await s.queue.idle();
    expect(counts.dropped).toEqual(["rejected"]);
    await s.close();
  });

  it("drops a queued alert whose flock was paused before it went out", async () => {
    receiver = await startSlackReceiver("500");
    const paused = new Set<string>();
    const { sink: s, counts } = sink(receiver.url, { config: { maxAttempts: 10, retryDelay: "100ms" }, paused });
    s.write(record(Date.now(), { result: "failure" }), { paused: false, instance: RUNNING });
    await new Promise((r) => setTimeout(r, 150));
    paused.add("f");
    receiver.mode = "ok";
    await s.queue.idle();
    expect(counts).toEqual({ sent: [], dropped: ["paused"] });
    expect(receiver.messages).toEqual([]);
    s.write(record(Date.now(), { result: "failure" }), { paused: true, instance: RUNNING });
    expect(s.queue.depth).toBe(0);
    await s.close();
  });
});
