/**
 * Jupyter messaging protocol (v5.3) as schemas: what we send and what we accept from a kernel
 * over jupyter-server's JSON websocket protocol. Inbound messages are validated here, at the
 * boundary, so the kernel client works with typed values.
 * @module
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";

const header = z.looseObject({ msg_id: z.string(), msg_type: z.string() });

/**
 * Any message from the kernel websocket, every field copied: the reference that
 * {@link inboundEnvelopeSchema} (what the client uses) is property-tested against; also what
 * bench/legacy.mjs puts back for the "before" points.
 */
export const inboundMessageSchema = z.looseObject({
  channel: z.string(),
  header,
  parent_header: z.looseObject({ msg_id: z.string().optional() }).or(z.object({})).default({}),
  content: z.record(z.string(), z.unknown()).default({}),
});
export type InboundMessage = z.output<typeof inboundMessageSchema>;

/**
 * What the kernel client reads of every inbound message, accepting exactly what
 * `inboundMessageSchema` accepts, with the same values for these fields, but without copying
 * the rest: `z.object` strips unknown keys where `z.looseObject` copied them, and `content` is
 * only checked to be an object (`z.record` copied every content); the fields used are validated
 * by the schema of their message type. Per-message zod work was ~5 % of the CPU at 10,000 busy
 * monkeys (docs/performance-notes.md §7).
 */
export const inboundEnvelopeSchema = z.object({
  channel: z.string(),
  header: z.object({ msg_id: z.string(), msg_type: z.string() }),
  // any object; its msg_id if a string, else undefined (as `inboundMessageSchema`'s union), in one pass
  parent_header: z.object({ msg_id: z.string().optional().catch(undefined) }).default({}),
  // what `z.record(z.string(), z.unknown())` accepts of a JSON value (an object, not an array), checked without copying it
  content: z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v)).optional(),
});

const streamShape = { name: z.string(), text: z.string() };
const statusShape = { execution_state: z.string() };
const executeReplyShape = {
  status: z.enum(["ok", "error", "aborted"]),
  execution_count: z.number().nullable().optional(),
  ename: z.string().optional(),
  evalue: z.string().optional(),
  traceback: z.array(z.string()).optional(),
};
export const errorContentSchema = z.looseObject({
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()).default([]),
});
/** What the kernel client reads of a status, stream or execute_reply: its fields, without copying the others. */
export const statusStateSchema = z.object(statusShape);
export const streamFieldsSchema = z.object(streamShape);
export const executeReplyFieldsSchema = z.object(executeReplyShape);
/**
 * The same checks keeping every field (a copy of the content): the kernel client's schemas
 * before issue 9's third pass, kept as the reference its property tests and bench/legacy.mjs use.
 */
export const statusContentSchema = z.looseObject(statusShape);
export const streamContentSchema = z.looseObject(streamShape);
export const executeReplySchema = z.looseObject(executeReplyShape);
export const executeResultSchema = z.looseObject({
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()).optional(),
  execution_count: z.number().nullable().optional(),
});
export const displayContentSchema = z.looseObject({
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

/** One cell output in nbformat 4 shape (what an executed notebook stores). */
export type NbOutput =
  | { output_type: "stream"; name: string; text: string }
  | { output_type: "display_data"; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: "execute_result"; data: Record<string, unknown>; metadata: Record<string, unknown>; execution_count: number | null }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/**
 * Build an `execute_request` for the shell channel. `storeHistory: false` runs the code without
 * counting it (IPython's `execution_count` stays where it was), for setup code of Troop's own.
 */
export function executeRequest(code: string, session: string, username: string, opts: { storeHistory?: boolean } = {}): { msgId: string; message: string } {
  const msgId = randomUUID();
  const message = {
    header: { msg_id: msgId, username, session, msg_type: "execute_request", version: "5.3", date: new Date().toISOString() },
    parent_header: {},
    metadata: {},
    channel: "shell",
    buffers: [],
    content: { code, silent: false, store_history: opts.storeHistory ?? true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
  };
  return { msgId, message: JSON.stringify(message) };
}

/**
 * `execute_request`s of one kernel connection, serialised as {@link executeRequest} does (the
 * same JSON, byte for byte) from constant parts: only the id and the date change between two
 * executions of the same code, so the rest (username, session, content with the code) is
 * serialised once, not per execution.
 */
export class ExecuteRequestWriter {
  private readonly headerMiddle: string;
  private lastCode: string | null = null;
  private lastStoreHistory = true;
  private lastTail = "";

  constructor(session: string, username: string) {
    this.headerMiddle = `","username":${JSON.stringify(username)},"session":${JSON.stringify(session)},"msg_type":"execute_request","version":"5.3","date":"`;
  }

  /** The message for `code` with a fresh `msg_id` (returned) and the current date. */
  write(code: string, storeHistory = true): { msgId: string; message: string } {
    if (code !== this.lastCode || storeHistory !== this.lastStoreHistory) {
      const content = { code, silent: false, store_history: storeHistory, user_expressions: {}, allow_stdin: false, stop_on_error: true };
      this.lastTail = `"},"parent_header":{},"metadata":{},"channel":"shell","buffers":[],"content":${JSON.stringify(content)}}`;
      this.lastCode = code;
      this.lastStoreHistory = storeHistory;
    }
    const msgId = randomUUID();
    return { msgId, message: `{"header":{"msg_id":"${msgId}${this.headerMiddle}${new Date().toISOString()}${this.lastTail}` };
  }
}

/** Remove ANSI escape sequences (colours in IPython tracebacks). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, "");
}
