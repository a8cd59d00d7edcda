/**
 * One kernel websocket connection (jupyter-server `api/kernels/{id}/channels`, JSON protocol).
 * Uses `ws` directly rather than `@jupyterlab/services`: a bot needs only execute requests,
 * `ws` lets us send credentials as headers (cookies + XSRF for Nublado, a token for
 * JupyterHub) and keeps per-message overhead minimal for load tests.
 * @module
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import {
  errorContentSchema,
  executeReplySchema,
  executeRequest,
  executeResultSchema,
  inboundMessageSchema,
  statusContentSchema,
  streamContentSchema,
  stripAnsi,
} from "./messages.js";

/** What a successful execution produced. */
export interface ExecuteOutput {
  stdout: string;
  stderr: string;
  /** `text/plain` of the execute_result, if any. */
  result: string | null;
}

/** Python raised: name, value and the ANSI-stripped traceback. */
export class KernelExecutionError extends Error {
  override readonly name = "KernelExecutionError";
  constructor(
    readonly ename: string,
    readonly evalue: string,
    readonly traceback: string,
  ) {
    super(`${ename}: ${evalue}`);
  }
}

interface Pending {
  msgId: string;
  out: ExecuteOutput;
  error: KernelExecutionError | null;
  replied: boolean;
  idle: boolean;
  resolve(out: ExecuteOutput): void;
  reject(err: Error): void;
}

/** A connected kernel channel. One execution at a time, like a notebook. */
export class KernelConnection {
  private pending: Pending | null = null;
  private readonly session = randomUUID();
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: WebSocket,
    private readonly username: string,
  ) {
    socket.on("message", (data) => this.onMessage(data));
    socket.on("close", (code) => this.fail(new Error(`kernel websocket closed (code ${code})`)));
    socket.on("error", (err) => this.fail(err));
  }

  /** Open the channels websocket; rejects on refusal or when `signal` aborts. */
  static open(opts: { url: string; headers: Record<string, string>; username: string; maxPayload?: number | null; signal: AbortSignal }): Promise<KernelConnection> {
    const url = `${opts.url}${opts.url.includes("?") ? "&" : "?"}session_id=${randomUUID()}`;
    const socket = new WebSocket(url, { headers: opts.headers, maxPayload: opts.maxPayload ?? 0, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        socket.terminate();
        reject(opts.signal.reason);
      };
      opts.signal.addEventListener("abort", onAbort, { once: true });
      socket.once("unexpected-response", (_req, res) => {
        socket.terminate();
        reject(new Error(`kernel websocket refused with HTTP ${res.statusCode}`));
      });
      socket.once("error", (err) => reject(new Error(`kernel websocket failed: ${err.message}`)));
      socket.once("open", () => {
        opts.signal.removeEventListener("abort", onAbort);
        socket.setMaxListeners(0);
        resolve(new KernelConnection(socket, opts.username));
      });
    });
  }

  /** Run code; resolves with its output, rejects with {@link KernelExecutionError} when it raises. */
  execute(code: string, signal: AbortSignal): Promise<ExecuteOutput> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error("an execution is already running on this kernel"));
    const { msgId, message } = executeRequest(code, this.session, this.username);
    return new Promise<ExecuteOutput>((resolve, reject) => {
      const onAbort = () => {
        this.pending = null;
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = () => signal.removeEventListener("abort", onAbort);
      this.pending = {
        msgId,
        out: { stdout: "", stderr: "", result: null },
        error: null,
        replied: false,
        idle: false,
        resolve: (out) => (done(), resolve(out)),
        reject: (err) => (done(), reject(err)),
      };
      this.socket.send(message);
    });
  }

  /** Close the websocket (the kernel itself is shut down by deleting the session). */
  close(): void {
    this.closedError = new Error("kernel connection closed");
    this.socket.removeAllListeners("close");
    this.socket.on("error", () => undefined);
    this.socket.close();
  }

  private onMessage(data: WebSocket.RawData): void {
    const p = this.pending;
    if (!p) return;
    let parsed;
    try {
      parsed = inboundMessageSchema.safeParse(JSON.parse(data.toString()));
    } catch {
      return; // binary or non-JSON frames are not ours
    }
    if (!parsed.success) return;
    const msg = parsed.data;
    if ((msg.parent_header as { msg_id?: string }).msg_id !== p.msgId) return;
    const c = msg.content;
    switch (msg.header.msg_type) {
      case "stream": {
        const s = streamContentSchema.safeParse(c);
        if (s.success) p.out[s.data.name === "stderr" ? "stderr" : "stdout"] += s.data.text;
        break;
      }
      case "execute_result": {
        const r = executeResultSchema.safeParse(c);
        if (r.success && typeof r.data.data["text/plain"] === "string") p.out.result = r.data.data["text/plain"];
        break;
      }
      case "error": {
        const e = errorContentSchema.safeParse(c);
        if (e.success) p.error = new KernelExecutionError(e.data.ename, e.data.evalue, stripAnsi(e.data.traceback.join("\n")));
        break;
      }
      case "status":
        if (statusContentSchema.safeParse(c).data?.execution_state === "idle") p.idle = true;
        break;
      case "execute_reply": {
        p.replied = true;
        const r = executeReplySchema.safeParse(c);
        if (r.success && r.data.status !== "ok" && !p.error) {
          p.error = new KernelExecutionError(r.data.ename ?? "ExecutionError", r.data.evalue ?? r.data.status, stripAnsi((r.data.traceback ?? []).join("\n")));
        }
        break;
      }
    }
    // idle and execute_reply arrive in either order: finish when both are in
    if (p.replied && p.idle) {
      this.pending = null;
      if (p.error) p.reject(p.error);
      else p.resolve(p.out);
    }
  }

  private fail(err: Error): void {
    this.closedError = err;
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
  }
}
