/**
 * The fake kernel behind `api/kernels/{id}/channels`: jupyter-server's default JSON websocket
 * protocol (no subprotocol), messaging protocol 5.3. An `execute_request` on `shell` gets, on
 * `iopub`, `status: busy`, `execute_input`, any `stream`/`execute_result`/`error`, then a
 * `shell` `execute_reply` and `status: idle`. iopub goes to every socket of the kernel; the
 * reply only to the requester. Cells run one at a time; an interrupt stops a running
 * `time.sleep` with KeyboardInterrupt.
 * @module
 */
import { randomUUID } from "node:crypto";
import { WebSocket } from "ws";
import { PythonError, runPython, traceback } from "./python.js";
import type { FakeKernel, FakeLab } from "./state.js";

/** Environment a lab gives its kernels (as Nublado's lab controller sets it). */
export function labEnvironment(lab: FakeLab, username: string): Record<string, string> {
  return {
    JUPYTER_IMAGE_SPEC: lab.image,
    JUPYTER_IMAGE: lab.image.replace(/@.*$/, ""),
    IMAGE_DESCRIPTION: lab.description,
    IMAGE_DIGEST: /@(.*)$/.exec(lab.image)?.[1] ?? "",
    JUPYTERHUB_USER: username,
    HOME: `/home/${username}`,
    CONTAINER_SIZE: lab.size,
    DEBUG: lab.debug ? "TRUE" : "",
  };
}

/** A new kernel. */
export function newKernel(name: string): FakeKernel {
  return { id: randomUUID(), name, executionCount: 0, sockets: new Set(), interrupt: null, queue: Promise.resolve(), vars: new Map() };
}

/** Serve one websocket of `kernel` in `lab`. */
export function serveKernelSocket(ws: WebSocket, kernel: FakeKernel, lab: FakeLab, username: string): void {
  kernel.sockets.add(ws);
  const session = randomUUID();
  ws.on("close", () => kernel.sockets.delete(ws));
  const message = (msgType: string, channel: string, parent: Record<string, unknown>, content: Record<string, unknown>) => {
    const msgId = randomUUID();
    return JSON.stringify({
      header: { msg_id: msgId, msg_type: msgType, username: "kernel", session, date: new Date().toISOString(), version: "5.3" },
      msg_id: msgId,
      msg_type: msgType,
      parent_header: parent,
      metadata: {},
      content,
      buffers: [],
      channel,
    });
  };
  const iopub = (type: string, parent: Record<string, unknown>, content: Record<string, unknown>) => {
    const text = message(type, "iopub", parent, content);
    for (const s of kernel.sockets) if (s.readyState === WebSocket.OPEN) s.send(text);
  };
  const reply = (type: string, parent: Record<string, unknown>, content: Record<string, unknown>) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(message(type, "shell", parent, content));
  };

  ws.on("message", (data) => {
    let msg: { header?: { msg_type?: string }; channel?: string; content?: { code?: unknown } };
    try {
      msg = JSON.parse(data.toString()) as typeof msg;
    } catch {
      return;
    }
    const parent = (msg.header ?? {}) as Record<string, unknown>;
    if (msg.header?.msg_type === "kernel_info_request") {
      reply("kernel_info_reply", parent, { status: "ok", protocol_version: "5.3", implementation: "fake", language_info: { name: "python" } });
      iopub("status", parent, { execution_state: "idle" });
      return;
    }
    if (msg.header?.msg_type !== "execute_request" || msg.channel !== "shell") return;
    const code = typeof msg.content?.code === "string" ? msg.content.code : "";
    kernel.queue = kernel.queue.then(() => execute(code, parent)).catch(() => undefined);
  });

  async function execute(code: string, parent: Record<string, unknown>): Promise<void> {
    const count = ++kernel.executionCount;
    iopub("status", parent, { execution_state: "busy" });
    iopub("execute_input", parent, { code, execution_count: count });
    const sleep = (seconds: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          kernel.interrupt = null;
          resolve();
        }, Math.max(0, seconds) * 1000);
        kernel.interrupt = () => {
          clearTimeout(timer);
          kernel.interrupt = null;
          reject(new PythonError("KeyboardInterrupt", "", traceback("KeyboardInterrupt", "", count, 1, "time.sleep(...)")));
        };
      });
    const ctx = { env: labEnvironment(lab, username), vars: kernel.vars, node: "fake-node-1", cell: count, sleep };
    try {
      const result = await runPython(code, ctx, (text) => iopub("stream", parent, { name: "stdout", text }));
      if (result !== null) iopub("execute_result", parent, { execution_count: count, data: { "text/plain": result }, metadata: {} });
      reply("execute_reply", parent, { status: "ok", execution_count: count, user_expressions: {}, payload: [] });
    } catch (err) {
      const e = err instanceof PythonError ? err : new PythonError("SystemError", String(err), []);
      iopub("error", parent, { ename: e.ename, evalue: e.evalue, traceback: e.traceback });
      reply("execute_reply", parent, { status: "error", execution_count: count, ename: e.ename, evalue: e.evalue, traceback: e.traceback });
    } finally {
      kernel.interrupt = null;
      iopub("status", parent, { execution_state: "idle" });
    }
  }
}
