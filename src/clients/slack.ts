/**
 * Slack incoming webhooks: POST one Block Kit message. Plain `fetch` through the shared
 * HttpClient rather than `@slack/webhook`: the alert queue owns retries, backoff and drops
 * (the package would retry out of sight of that accounting), the call needs an AbortSignal
 * time limit, and errors here never carry the webhook URL (its path is the secret).
 * @module
 */
import type { HttpClient } from "./http.js";

/** A Block Kit block (the subset Troop sends is built in services/alerts/blocks.ts). */
export type SlackBlock = Record<string, unknown>;

/** One message: `text` is the notification fallback, `blocks` the layout. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** A POST that did not succeed. `retryable`: worth another attempt; `retryAfterMs`: Slack asked to wait. */
export class SlackPostError extends Error {
  override readonly name = "SlackPostError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

const ANY_STATUS: readonly number[] = Array.from({ length: 500 }, (_, i) => i + 100);

/** Posts messages to one webhook URL. */
export class SlackWebhookClient {
  constructor(
    private readonly http: HttpClient,
    private readonly url: string,
  ) {}

  /** POST `message`; resolves on 2xx, throws SlackPostError otherwise (never with the URL). */
  async post(message: SlackMessage, signal: AbortSignal): Promise<void> {
    let res;
    try {
      res = await this.http.request(this.url, { method: "POST", json: message, signal, expect: ANY_STATUS });
    } catch (err) {
      if (signal.aborted) throw new SlackPostError("Slack did not answer in time", true, null);
      const cause = (err as { cause?: { cause?: { code?: string }; message?: string } }).cause;
      throw new SlackPostError(`Slack unreachable${cause?.cause?.code ? ` (${cause.cause.code})` : ""}`, true, null);
    }
    const body = (await res.text().catch(() => "")).slice(0, 200);
    if (res.status >= 200 && res.status < 300) return;
    const retryAfter = Number(res.headers.get("retry-after"));
    const retryable = res.status === 429 || res.status >= 500;
    throw new SlackPostError(`Slack answered ${res.status}${body ? `: ${body.replace(/\s+/g, " ")}` : ""}`, retryable, res.status, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null);
  }
}
