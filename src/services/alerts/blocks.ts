/**
 * Block Kit layouts of the Slack messages: failure alert (first and repeat), recovery and the
 * daily report. Every piece of text is escaped for mrkdwn and bounded (Slack refuses a
 * section over 3000 characters); tracebacks keep their end, cell sources their beginning.
 * @module
 */
import type { SlackBlock, SlackMessage } from "../../clients/slack.js";
import type { Execution } from "../../models/execution.js";
import type { WindowedFlockSummary } from "../../models/results.js";
import type { AlertDecision } from "./policy.js";

/** Bounds of the excerpts in an alert. */
export const LIMITS = { message: 1000, source: 800, traceback: 1500, output: 500, field: 300 } as const;

/** Escape text for mrkdwn (Slack's three control characters). */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The first `max` characters (cut at a line end when possible), marked when cut. */
export function head(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const nl = cut.lastIndexOf("\n");
  return `${nl > max / 2 ? cut.slice(0, nl) : cut}\n…`;
}

/** The last `max` characters (from a line start when possible), marked when cut. */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(-max);
  const nl = cut.indexOf("\n");
  return `…\n${nl >= 0 && nl < max / 2 ? cut.slice(nl + 1) : cut}`;
}

/** A code block of `text` cut by `cut` so that, escaped, it stays within `max` characters. */
function code(text: string, max: number, cut: (t: string, n: number) => string = head): string {
  let n = max;
  for (;;) {
    const out = esc(cut(text, n).replace(/```/g, "'''"));
    if (out.length <= max || n <= 50) return "```" + out + "```";
    n -= out.length - max;
  }
}
const plain = (text: string, max = 150) => ({ type: "plain_text", text: text.length > max ? `${text.slice(0, max - 1)}…` : text, emoji: true });
const field = (label: string, value: string) => ({ type: "mrkdwn", text: `*${label}*\n${esc(value.length > LIMITS.field ? `${value.slice(0, LIMITS.field)}…` : value)}` });
const time = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

/** What every alert needs besides the decision. */
export interface AlertContext {
  environment: string;
  /** Absolute links to an execution (its dashboard page, its API record), or null when no public base URL is configured. */
  link(id: string): { dashboard: string; api: string } | null;
}

function imageText(r: Execution): string {
  const i = r.image;
  if (!i) return "unknown";
  return i.description ?? i.tag ?? i.reference ?? "unknown";
}

function linkBlocks(r: Execution, ctx: AlertContext): SlackBlock[] {
  const links = ctx.link(r.id);
  const blocks: SlackBlock[] = [];
  if (links) {
    blocks.push({
      type: "actions",
      elements: [
        { type: "button", text: plain("View execution"), url: links.dashboard, style: "primary" },
        { type: "button", text: plain("API record"), url: links.api },
      ],
    });
  }
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `Execution \`${esc(r.id)}\` · ${esc(r.monkey)} · ${time(Date.parse(r.started_at))}` }] });
  return blocks;
}

/** A failure alert (first of its episode, or a repeat that summarises suppressed failures). */
export function failureMessage(d: Extract<AlertDecision, { kind: "failure" | "repeat" }>, ctx: AlertContext): SlackMessage {
  const r = d.record;
  const e = r.error!;
  const where = e.notebook ? `${e.notebook}${e.cell_number !== null ? ` cell ${e.cell_number}` : ""}` : e.phase;
  const title = d.kind === "failure" ? `🚨 ${r.flock}: ${where} failed (${e.exception ?? e.failure_class})` : `🔁 ${r.flock}: ${where} still failing (${e.exception ?? e.failure_class})`;
  const fields = [
    field("Environment", ctx.environment),
    field("Flock", r.flock ?? ""),
    field("Monkey", r.monkey),
    field("Business", r.business),
    field("Phase", e.phase),
    field("Failure", e.exception ? `${e.failure_class} (${e.exception})` : e.failure_class),
    field("Image", imageText(r)),
  ];
  if (e.notebook) fields.push(field("Notebook", e.notebook));
  if (e.cell_number !== null) fields.push(field("Cell", `${e.cell_number}${e.cell_id ? ` (${e.cell_id})` : ""}`));
  const blocks: SlackBlock[] = [{ type: "header", text: plain(title) }, { type: "section", fields }];
  if (d.kind === "repeat") {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: `*${d.count}* more failure${d.count === 1 ? "" : "s"} since ${time(d.sinceMs)} (${d.episode.failures} since ${time(d.episode.firstAt)})` } });
  } else if (d.episode.failures > 1) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: `Alerted after *${d.episode.failures}* consecutive failures since ${time(d.episode.firstAt)}` } });
  }
  blocks.push({ type: "section", text: { type: "mrkdwn", text: `*Message*\n${code(e.message, LIMITS.message)}` } });
  if (e.code) blocks.push({ type: "section", text: { type: "mrkdwn", text: `*${e.notebook ? "Cell source" : "Code"}*\n${code(e.code, LIMITS.source)}` } });
  if (e.traceback) blocks.push({ type: "section", text: { type: "mrkdwn", text: `*Traceback*\n${code(e.traceback, LIMITS.traceback, tail)}` } });
  else if (e.output_tail) blocks.push({ type: "section", text: { type: "mrkdwn", text: `*Output*\n${code(e.output_tail, LIMITS.output, tail)}` } });
  blocks.push(...linkBlocks(r, ctx));
  const text = esc(`${d.kind === "failure" ? "Failure" : "Still failing"} in ${ctx.environment}: ${r.flock} ${where}: ${e.exception ?? e.failure_class}: ${e.message.slice(0, 200)}`);
  return { text, blocks };
}

/** The recovery message of an episode that was alerted. */
export function recoveryMessage(d: Extract<AlertDecision, { kind: "recovery" }>, ctx: AlertContext): SlackMessage {
  const [phase, notebook, cell, name] = d.episode.key.split("|");
  const what = `${notebook ? `${notebook}${cell ? ` cell ${cell}` : ""}` : phase} (${name})`;
  const minutes = Math.max(0, Math.round((Date.parse(d.record.ended_at) - d.episode.firstAt) / 60_000));
  const text = esc(`Recovered in ${ctx.environment}: ${d.record.flock} ${what} succeeded again after ${d.episode.failures} failure${d.episode.failures === 1 ? "" : "s"}`);
  return {
    text,
    blocks: [
      { type: "header", text: plain(`✅ ${d.record.flock}: ${what} recovered`) },
      { type: "section", text: { type: "mrkdwn", text: `${text}, over ${minutes} min (first failure ${time(d.episode.firstAt)}).` } },
      ...linkBlocks(d.record, ctx),
    ],
  };
}

/** mobu's daily status, with paused flocks listed as paused and the last 24 h of each flock. */
export function dailyReportMessage(flocks: WindowedFlockSummary[], environment: string): SlackMessage {
  const n = flocks.length;
  const intro = `Currently running ${n} flock${n === 1 ? "" : "s"} against ${environment}:`;
  const lines = flocks.map((f) => {
    const monkeys = `${f.monkey_count} monkey${f.monkey_count === 1 ? "" : "s"}`;
    if (f.paused) return `• *${esc(f.name)}*: paused (${monkeys})`;
    const total = f.success_count + f.failure_count;
    let rate = total === 0 ? 100 : (f.success_count / total) * 100;
    if (rate < 100 && rate > 99.995) rate = 99.99;
    const started = f.start_time ? `started ${f.start_time.slice(0, 10)}` : "(not started)";
    const day = f.windows["24h"];
    return `• *${esc(f.name)}*: ${monkeys} ${started} with ${f.failure_count} failure${f.failure_count === 1 ? "" : "s"} (${rate.toFixed(2)}% success); last 24 h: ${day.executions} executions, ${day.failures} failures`;
  });
  const sections: SlackBlock[] = [];
  let chunk = "";
  for (const line of lines) {
    if (chunk.length + line.length + 1 > 2900) {
      sections.push({ type: "section", text: { type: "mrkdwn", text: chunk } });
      chunk = "";
    }
    chunk += `${chunk ? "\n" : ""}${line}`;
  }
  if (chunk) sections.push({ type: "section", text: { type: "mrkdwn", text: chunk } });
  const shown = sections.slice(0, 45);
  if (sections.length > shown.length) shown.push({ type: "context", elements: [{ type: "mrkdwn", text: `…and ${sections.length - shown.length} more sections` }] });
  return {
    text: `${intro}\n${lines.join("\n")}`.slice(0, 3000),
    blocks: [{ type: "header", text: plain("Troop daily report") }, { type: "section", text: { type: "mrkdwn", text: esc(intro) } }, ...shown],
  };
}
