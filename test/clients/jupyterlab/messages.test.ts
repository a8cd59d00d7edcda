/**
 * The kernel client's cheaper boundary (src/clients/jupyterlab/messages.ts): the
 * `execute_request` writer produces exactly what `executeRequest` serialises, and the envelope
 * schema accepts and rejects the same messages as `inboundMessageSchema`, with the same
 * values for the fields the client reads.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExecuteRequestWriter, executeRequest, inboundEnvelopeSchema, inboundMessageSchema } from "../../../src/clients/jupyterlab/messages.js";

describe("ExecuteRequestWriter", () => {
  it("writes what executeRequest writes, byte for byte, whatever the code, user and history flag", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.boolean(), fc.string(), (code, username, session, storeHistory, code2) => {
        const w = new ExecuteRequestWriter(session, username);
        for (const c of [code, code, code2, code]) {
          const { msgId, message } = w.write(c, storeHistory);
          const parsed = JSON.parse(message) as { header: { msg_id: string; date: string } };
          expect(parsed.header.msg_id).toBe(msgId);
          const expected = JSON.parse(executeRequest(c, session, username, { storeHistory }).message) as { header: Record<string, string> };
          expected.header["msg_id"] = msgId;
          expected.header["date"] = parsed.header.date;
          expect(message).toBe(JSON.stringify(expected));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("gives every request a fresh msg_id and the current date", () => {
    const w = new ExecuteRequestWriter("s", "u");
    const a = w.write("print(1)");
    const b = w.write("print(1)");
    expect(a.msgId).not.toBe(b.msgId);
    const date = (JSON.parse(b.message) as { header: { date: string } }).header.date;
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(5000);
  });
});

describe("inboundEnvelopeSchema", () => {
  const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string(), fc.constant([]), fc.constant({}), fc.dictionary(fc.constantFrom("msg_id", "msg_type", "x"), fc.oneof(fc.string(), fc.integer(), fc.constant(null))));
  const message = fc.record(
    { channel: value, header: value, parent_header: value, content: value, metadata: value },
    { requiredKeys: [] },
  );

  it("accepts exactly the messages inboundMessageSchema accepts, with the same type, ids and content", () => {
    fc.assert(
      fc.property(message, (m) => {
        const raw = JSON.parse(JSON.stringify(m)) as unknown; // as from the websocket
        const old = inboundMessageSchema.safeParse(raw);
        const now = inboundEnvelopeSchema.safeParse(raw);
        expect(now.success).toBe(old.success);
        if (old.success && now.success) {
          expect(now.data.header.msg_type).toBe(old.data.header.msg_type);
          expect(now.data.header.msg_id).toBe(old.data.header.msg_id);
          expect((now.data.parent_header as { msg_id?: string }).msg_id).toBe((old.data.parent_header as { msg_id?: string }).msg_id);
          expect(now.data.content ?? {}).toEqual(old.data.content);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("reads a jupyter-server message", () => {
    const text = '{"header": {"msg_id": "a_1", "msg_type": "stream", "username": "u", "session": "s", "date": "2026-01-01T00:00:00Z", "version": "5.3"}, "msg_id": "a_1", "msg_type": "stream", "parent_header": {"msg_id": "p"}, "metadata": {}, "content": {"name": "stdout", "text": "2\\n"}, "buffers": [], "channel": "iopub"}';
    const r = inboundEnvelopeSchema.parse(JSON.parse(text));
    expect(r).toMatchObject({ channel: "iopub", header: { msg_type: "stream" }, parent_header: { msg_id: "p" }, content: { name: "stdout", text: "2\n" } });
  });
});
