/**
 * KernelConnection against an in-process websocket kernel: the messages of our execution are
 * read (whatever else the socket carries), a dying kernel fails the execution whatever the
 * parent, an abort frees the connection for the next execution and stops listening to the
 * signal, and one signal serves executions one after the other (as phases reuse them).
 */
import { getEventListeners } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { KernelConnection, KernelExecutionError, type OutputCollector } from "../../../src/clients/jupyterlab/kernel.js";
import { KernelDiedError } from "../../../src/errors.js";

type Header = { msg_id: string; msg_type: string; session: string; username: string };
type Reply = (send: (channel: string, type: string, content: unknown, parent?: unknown) => void, req: { header: Header; content: { code: string } }) => void;

let servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
  servers = [];
});

async function kernel(reply: Reply): Promise<{ conn: KernelConnection; requests: unknown[] }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  servers.push(wss);
  await new Promise((r) => wss.once("listening", r));
  const requests: unknown[] = [];
  let seq = 0;
  wss.on("connection", (ws: WebSocket) => {
    ws.on("message", (data, isBinary) => {
      if (isBinary) throw new Error("execute_request sent as a binary frame");
      const req = JSON.parse(data.toString()) as { header: Header; content: { code: string } };
      requests.push(req);
      // jupyter-server's Python json.dumps spacing
      const send = (channel: string, type: string, content: unknown, parent: unknown = req.header) =>
        ws.send(JSON.stringify({ header: { msg_id: `k_${++seq}`, msg_type: type, username: "kernel", session: "k", date: new Date().toISOString(), version: "5.3" }, parent_header: parent, metadata: {}, content, buffers: [], channel }).replaceAll('":', '": ').replaceAll(',"', ', "'));
      reply(send, req);
    });
  });
  const { port } = wss.address() as AddressInfo;
  const conn = await KernelConnection.open({ url: `ws://127.0.0.1:${port}/api/kernels/k/channels`, headers: {}, username: "bot-1", signal: new AbortController().signal });
  return { conn, requests };
}

const ok: Reply = (send, req) => {
  send("iopub", "status", { execution_state: "busy" });
  send("iopub", "execute_input", { code: req.content.code, execution_count: 1 });
  send("iopub", "stream", { name: "stdout", text: "2\n" });
  send("shell", "execute_reply", { status: "ok", execution_count: 1, user_expressions: {}, payload: [] });
  send("iopub", "status", { execution_state: "idle" });
};

describe("KernelConnection", () => {
  it("runs code and reads only its own messages, as jupyter-server spaces them", async () => {
    const { conn, requests } = await kernel((send, req) => {
      // traffic of another client of the kernel, before and in the middle of ours
      send("iopub", "stream", { name: "stdout", text: "not ours\n" }, { msg_id: "other" });
      send("iopub", "status", { execution_state: "busy" }, { msg_id: "other" });
      send("iopub", "status", { execution_state: "idle" }, { msg_id: "other" });
      send("iopub", "status", { execution_state: "busy" });
      send("iopub", "stream", { name: "stdout", text: "1" });
      send("shell", "execute_reply", { status: "ok", execution_count: 7 }, { msg_id: "other" });
      send("iopub", "stream", { name: "stderr", text: "warn" });
      send("iopub", "execute_result", { data: { "text/plain": "3" }, metadata: {}, execution_count: 7 });
      send("iopub", "stream", { name: "stdout", text: "2" });
      send("shell", "execute_reply", { status: "ok", execution_count: 7 });
      send("iopub", "status", { execution_state: "idle" });
      void req;
    });
    const collect: OutputCollector = { outputs: [], executionCount: null };
    const out = await conn.execute("1+2", new AbortController().signal, { collect });
    expect(out).toEqual({ stdout: "12", stderr: "warn", result: "3" });
    expect(collect.executionCount).toBe(7);
    expect(collect.outputs).toEqual([
      { output_type: "stream", name: "stdout", text: "1" },
      { output_type: "stream", name: "stderr", text: "warn" },
      { output_type: "execute_result", data: { "text/plain": "3" }, metadata: {}, execution_count: 7 },
      { output_type: "stream", name: "stdout", text: "2" },
    ]);
    expect(requests[0]).toMatchObject({ header: { msg_type: "execute_request", username: "bot-1", version: "5.3" }, parent_header: {}, channel: "shell", content: { code: "1+2", store_history: true, silent: false } });
    conn.close();
  });

  it("serves several executions with one signal and leaves no listener on it", async () => {
    const { conn, requests } = await kernel(ok);
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) await expect(conn.execute("print(1+1)", signal)).resolves.toEqual({ stdout: "2\n", stderr: "", result: null });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    const ids = requests.map((r) => (r as { header: Header }).header.msg_id);
    expect(new Set(ids).size).toBe(3);
    conn.close();
  });

  it("raises the kernel's error, from the error message or the reply", async () => {
    const { conn } = await kernel((send) => {
      send("iopub", "error", { ename: "ZeroDivisionError", evalue: "division by zero", traceback: ["\u001b[0;31mZeroDivisionError\u001b[0m"] });
      send("shell", "execute_reply", { status: "error", ename: "ZeroDivisionError", evalue: "division by zero", traceback: [] });
      send("iopub", "status", { execution_state: "idle" });
    });
    const err = await conn.execute("1/0", new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelExecutionError);
    expect(err).toMatchObject({ ename: "ZeroDivisionError", evalue: "division by zero", traceback: "ZeroDivisionError" });
    conn.close();
  });

  it("fails at once when the kernel dies, whatever the status message's parent", async () => {
    const { conn } = await kernel((send) => send("iopub", "status", { execution_state: "dead" }, {}));
    await expect(conn.execute("x", new AbortController().signal)).rejects.toBeInstanceOf(KernelDiedError);
    conn.close();
  });

  it("on abort, rejects with the reason, stops listening and lets the next execution run", async () => {
    let first = true;
    const { conn } = await kernel((send, req) => {
      if (first) {
        first = false; // never answers the first request
        return;
      }
      ok(send, req);
    });
    const controller = new AbortController();
    const running = conn.execute("hang", controller.signal);
    const reason = new Error("phase timed out");
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    await expect(conn.execute("x", controller.signal)).rejects.toBe(reason); // already aborted: not sent
    await expect(conn.execute("print(1+1)", new AbortController().signal)).resolves.toMatchObject({ stdout: "2\n" });
    conn.close();
  });

  it("ignores frames that are not JSON or not messages", async () => {
    const { conn } = await kernel((send, req) => {
      const ws = [...servers[0]!.clients][0]!;
      ws.send("not json");
      ws.send(JSON.stringify({ parent_header: req.header, content: { execution_state: "dead" } })); // no header: not a message
      ws.send(JSON.stringify({ channel: "iopub", header: { msg_id: "z", msg_type: "status" }, parent_header: req.header, content: ["dead"] }));
      ok(send, req);
    });
    await expect(conn.execute("print(1+1)", new AbortController().signal)).resolves.toMatchObject({ stdout: "2\n" });
    conn.close();
  });
});
