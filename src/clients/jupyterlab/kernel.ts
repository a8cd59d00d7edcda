/**
 * One kernel websocket connection (jupyter-server `api/kernels/{id}/channels`, JSON protocol).
 * Uses `ws` directly rather than `@jupyterlab/services`: a bot needs only execute requests,
 * `ws` lets us send credentials as headers (cookies + XSRF for Nublado, a token for
 * JupyterHub) and keeps per-message overhead minimal for load tests.
 * @module
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { KernelDiedError } from "../../errors.js";
import {
  displayContentSchema,
  errorContentSchema,
  executeReplyFieldsSchema,
  ExecuteRequestWriter,
  executeResultSchema,
  inboundEnvelopeSchema,
  statusStateSchema,
  streamFieldsSchema,
  stripAnsi,
  type NbOutput,
} from "./messages.js";

export type { NbOutput } from "./messages.js";

/** What a successful execution produced. */
export interface ExecuteOutput {
  stdout: string;
  stderr: string;
  /** `text/plain` of the execute_result, if any. */
  result: string | null;
}

/** What an execution showed, as a notebook stores it; owned by the caller, so kept whatever happens. */
export interface OutputCollector {
  /** Outputs in nbformat 4 shape (stream, display_data, execute_result, error), consecutive streams merged, `clear_output` applied. */
  outputs: NbOutput[];
  /** The kernel's `execution_count` for this execution, once known. */
  executionCount: number | null;
}

/** Options of one execution. */
export interface ExecuteOptions {
  /** Collect every output, even when the execution fails or is aborted. Absent: not collected (the load-test path). */
  collect?: OutputCollector;
  /** Bound on the characters kept in `outputs` (default 16 MB); beyond it a note is appended. */
  maxOutputChars?: number;
  /** False: not counted in the kernel's history (`execution_count` unchanged); for setup code. Default true. */
  storeHistory?: boolean;
}

const DEFAULT_MAX_OUTPUT_CHARS = 16_000_000;
/** `ws.send` options of an execute_request sent as a Buffer: still a text frame, as the protocol wants. */
const TEXT_FRAME = { binary: false } as const;

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
  signal: AbortSignal;
  out: ExecuteOutput;
  collect: OutputCollector | null;
  outputChars: number;
  maxOutputChars: number;
  /** A `clear_output(wait=True)` is pending: clear at the next output. */
  clearPending: boolean;
  error: KernelExecutionError | null;
  replied: boolean;
  idle: boolean;
  resolve(out: ExecuteOutput): void;
  reject(err: unknown): void;
}

/** A connected kernel channel. One execution at a time, like a notebook. */
export class KernelConnection {
  private pending: Pending | null = null;
  private readonly session = randomUUID();
  private closedError: Error | null = null;
  private readonly requests: ExecuteRequestWriter;
  /** The abort listener of the running execution (one execution at a time: one function for all). */
  private readonly onAbort = (): void => {
    const p = this.pending;
    if (!p) return;
    this.settle(p);
    p.reject(p.signal.reason);
  };

  private constructor(
    private readonly socket: WebSocket,
    // kept for bench/legacy.mjs's old `execute`, which serialises each request whole
    private readonly username: string,
  ) {
    this.requests = new ExecuteRequestWriter(this.session, username);
    socket.on("message", (data) => this.onMessage(data));
    socket.on("close", (code) => this.fail(new KernelDiedError(`kernel connection lost: websocket closed (code ${code})`)));
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

  /**
   * Run code; resolves with its output, rejects with {@link KernelExecutionError} when it
   * raises and with {@link KernelDiedError} as soon as the kernel dies or restarts.
   */
  execute(code: string, signal: AbortSignal, opts: ExecuteOptions = {}): Promise<ExecuteOutput> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error("an execution is already running on this kernel"));
    if (signal.aborted) return Promise.reject(signal.reason);
    const { msgId, message } = this.requests.write(code, opts.storeHistory ?? true);
    return new Promise<ExecuteOutput>((resolve, reject) => {
      signal.addEventListener("abort", this.onAbort);
      this.pending = {
        msgId,
        signal,
        out: { stdout: "", stderr: "", result: null },
        collect: opts.collect ?? null,
        outputChars: 0,
        maxOutputChars: opts.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS,
        clearPending: false,
        error: null,
        replied: false,
        idle: false,
        resolve,
        reject,
      };
      // As bytes, in a text frame: `ws` then frames and masks it into one buffer and makes one
      // write (a string costs a second copy of the header and a corked two-buffer writev).
      this.socket.send(Buffer.from(message), TEXT_FRAME);
    });
  }

  /** The execution `p` is over: forget it and stop listening to its signal (before resolving or rejecting it). */
  private settle(p: Pending): void {
    if (this.pending === p) this.pending = null;
    p.signal.removeEventListener("abort", this.onAbort);
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
    const text = data.toString();
    // Not ours, and not a status (which may announce a dead kernel whatever its parent): drop it
    // before parsing (e.g. iopub traffic of another client of the kernel). A message of ours
    // holds our msg_id in its parent_header; a status, the JSON string "status".
    if (!text.includes(p.msgId) && !text.includes('"status"')) return;
    let parsed;
    try {
      parsed = inboundEnvelopeSchema.safeParse(JSON.parse(text));
    } catch {
      return; // binary or non-JSON frames are not ours
    }
    if (!parsed.success) return;
    const msg = parsed.data;
    const type = msg.header.msg_type;
    const c = msg.content ?? {};
    if (type === "status") {
      // jupyter-server announces a dying kernel with a status message of no parent
      const state = statusStateSchema.safeParse(c).data?.execution_state;
      if (state === "dead" || state === "restarting") {
        this.settle(p);
        p.reject(new KernelDiedError(`kernel died while running code (status ${state})`));
        return;
      }
      if ((msg.parent_header as { msg_id?: string }).msg_id !== p.msgId) return;
      if (state === "idle") p.idle = true;
    } else {
      if ((msg.parent_header as { msg_id?: string }).msg_id !== p.msgId) return;
      switch (type) {
        case "stream": {
          const s = streamFieldsSchema.safeParse(c);
          if (s.success) {
            p.out[s.data.name === "stderr" ? "stderr" : "stdout"] += s.data.text;
            if (p.collect) addOutput(p, { output_type: "stream", name: s.data.name, text: s.data.text });
          }
          break;
        }
        case "display_data": {
          const d = displayContentSchema.safeParse(c);
          if (d.success) addOutput(p, { output_type: "display_data", data: d.data.data, metadata: d.data.metadata });
          break;
        }
        case "execute_result": {
          const r = executeResultSchema.safeParse(c);
          if (r.success && typeof r.data.data["text/plain"] === "string") p.out.result = r.data.data["text/plain"];
          if (r.success) addOutput(p, { output_type: "execute_result", data: r.data.data, metadata: r.data.metadata ?? {}, execution_count: r.data.execution_count ?? null });
          break;
        }
        case "error": {
          const e = errorContentSchema.safeParse(c);
          if (e.success) {
            p.error = new KernelExecutionError(e.data.ename, e.data.evalue, stripAnsi(e.data.traceback.join("\n")));
            addOutput(p, { output_type: "error", ename: e.data.ename, evalue: e.data.evalue, traceback: e.data.traceback });
          }
          break;
        }
        case "clear_output":
          if (p.collect) {
            if (c["wait"] === true) p.clearPending = true;
            else p.collect.outputs.length = 0;
          }
          break;
        case "execute_input":
          if (p.collect && typeof c["execution_count"] === "number") p.collect.executionCount = c["execution_count"];
          break;
        case "execute_reply": {
          p.replied = true;
          const r = executeReplyFieldsSchema.safeParse(c);
          if (r.success && p.collect && typeof r.data.execution_count === "number") p.collect.executionCount = r.data.execution_count;
          if (r.success && r.data.status !== "ok" && !p.error) {
            p.error = new KernelExecutionError(r.data.ename ?? "ExecutionError", r.data.evalue ?? r.data.status, stripAnsi((r.data.traceback ?? []).join("\n")));
          }
          break;
        }
      }
    }
    // idle and execute_reply arrive in either order: finish when both are in
    if (p.replied && p.idle) {
      this.settle(p);
      if (p.error) p.reject(p.error);
      else p.resolve(p.out);
    }
  }

  private fail(err: Error): void {
    this.closedError = err;
    const p = this.pending;
    if (!p) return;
    this.settle(p);
    p.reject(err);
  }
}

/** Append one output (nbformat shape) if the caller collects them, merging consecutive streams. */
function addOutput(p: Pending, output: NbOutput): void {
  const outputs = p.collect?.outputs;
  if (!outputs) return;
  if (p.clearPending) {
    outputs.length = 0;
    p.clearPending = false;
  }
  if (p.outputChars > p.maxOutputChars) return;
  const size = output.output_type === "stream" ? output.text.length : JSON.stringify(output).length;
  p.outputChars += size;
  if (p.outputChars > p.maxOutputChars) {
    outputs.push({ output_type: "stream", name: "stderr", text: `\n[troop: output truncated after ${p.maxOutputChars} characters]\n` });
    return;
  }
  const last = outputs[outputs.length - 1];
  if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name) last.text += output.text;
  else outputs.push(output);
}
