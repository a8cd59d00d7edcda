/**
 * A Slack incoming-webhook receiver on 127.0.0.1 for tests: records every JSON body posted to
 * its secret path and answers as Slack does ("ok"), or with 500, 429 + Retry-After, 404
 * no_service, or not at all (hang) — switchable at any time.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type ReceiverMode = "ok" | "500" | "429" | "404" | "hang";

export interface SlackReceiver {
  /** The webhook URL (its path plays the part of Slack's secret). */
  url: string;
  /** Accepted messages, in order. */
  messages: { body: any; at: number }[];
  /** Every request, whatever the answer. */
  requests: number;
  mode: ReceiverMode;
  /** Wait until at least `n` messages were accepted. */
  waitForMessages(n: number, timeoutMs?: number): Promise<any[]>;
  close(): Promise<void>;
}

export const WEBHOOK_PATH = "/services/T0TROOP/B0TROOP/webhook-secret-canary-5ec7e7";

export async function startSlackReceiver(mode: ReceiverMode = "ok"): Promise<SlackReceiver> {
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const receiver: SlackReceiver = {
    url: "",
    messages: [],
    requests: 0,
    mode,
    async waitForMessages(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (receiver.messages.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} Slack messages (got ${receiver.messages.length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return receiver.messages.map((m) => m.body);
    },
    async close() {
      for (const res of hanging) res.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      receiver.requests++;
      if (req.method !== "POST" || req.url !== WEBHOOK_PATH) return void res.writeHead(404).end("no_service");
      switch (receiver.mode) {
        case "hang":
          hanging.add(res);
          return;
        case "500":
          return void res.writeHead(500).end("internal_error");
        case "429":
          return void res.writeHead(429, { "retry-after": "1" }).end("rate_limited");
        case "404":
          return void res.writeHead(404).end("no_service");
        default:
          receiver.messages.push({ body: JSON.parse(text), at: Date.now() });
          res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      }
    });
  });
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  return receiver;
}

/** A webhook URL on a port where nothing listens (connection refused). */
export async function unreachableWebhookUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
}

/** Every text of a Block Kit message (header, sections, fields, context), joined. */
export function messageText(body: any): string {
  const parts: string[] = [body.text ?? ""];
  for (const b of body.blocks ?? []) {
    if (b.text?.text) parts.push(b.text.text);
    for (const f of b.fields ?? []) parts.push(f.text);
    for (const e of b.elements ?? []) parts.push(e.text?.text ?? e.text ?? "", e.url ?? "");
  }
  return parts.join("\n");
}
