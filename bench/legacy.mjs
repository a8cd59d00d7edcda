/**
 * Code as it was before issue 9's fixes (commit 1480881), kept only here so that benchmarks can
 * measure before and after in the same run, on the same build: each `install…` replaces, in
 * the process that calls it, a method of dist/'s classes by its old version.
 *
 * - `SecretScrubber` (src/services/secrets.ts): one RegExp alternation of every known secret,
 *   recompiled after each `add`.
 * - `Business.phase` (src/businesses/base.ts): a `PhaseTimeoutError` (an Error, with its stack
 *   trace) built at the start of every phase, used only on a timeout.
 * - `HttpClient` (src/clients/http.ts): no limit of requests in flight per origin (every request
 *   straight to the global `fetch`, whose pool opens as many connections as there are requests).
 *
 * The third pass (docs/performance-notes.md §7, code as it was at af11c59, after the second pass):
 * - `Business.phase`, `pause`, `stop`, `stopping` (src/businesses/base.ts): an `AbortController` per
 *   phase, an `abort` listener on the monkey's stop signal per phase and per pause, and
 *   `raceAbort`'s listener on the phase's signal (now: `Deadline`, one timer and no listener, the
 *   controller reused while nothing listens to it; a set of what `stop()` wakes).
 * - `KernelConnection.execute` / `onMessage` (src/clients/jupyterlab/kernel.ts): the whole
 *   `execute_request` serialised per execution, a closure per execution, every inbound frame
 *   validated with `inboundMessageSchema` (a copy of the message and of its content) before the
 *   parent is compared (now: `ExecuteRequestWriter`, `inboundEnvelopeSchema`, frames that are not
 *   ours dropped before parsing).
 * @module
 */

const MIN_LENGTH = 8;

/** The old scrubber, verbatim. */
export class LegacySecretScrubber {
  secrets = new Set();
  pattern = null;

  add(secret) {
    if (!secret || secret.length < MIN_LENGTH || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.pattern = null;
  }

  scrub(text) {
    if (this.secrets.size === 0) return text;
    this.pattern ??= new RegExp([...this.secrets].map(escape).join("|"), "g");
    return text.replace(this.pattern, "[REDACTED]");
  }
}

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Make every `SecretScrubber` (existing and future) of this process use the old algorithm (its state in a WeakMap). */
export function installLegacyScrubber(SecretScrubber) {
  const state = new WeakMap();
  const of = (self) => {
    let s = state.get(self);
    if (!s) state.set(self, (s = new LegacySecretScrubber()));
    return s;
  };
  SecretScrubber.prototype.add = function add(secret) {
    of(this).add(secret);
  };
  SecretScrubber.prototype.scrub = function scrub(text) {
    return of(this).scrub(text);
  };
}

/** Give `Business` its old `phase` (dist/businesses/base.js at 1480881, compiled output, unchanged but for the imports). */
export function installLegacyPhase({ Business, StoppedError, raceAbort }, { PhaseTimeoutError, toMonkeyError }) {
  const stopperOf = installLegacyStopper({ Business, StoppedError });
  Business.prototype.phase = async function phase(name, limitMs, fn, opts = {}) {
    if (this.stopping && !opts.ignoreStop) throw new StoppedError();
    const previous = this.currentPhase;
    this.currentPhase = name;
    const start = Date.now();
    const timeout = new PhaseTimeoutError(name, limitMs, this.context());
    const controller = new AbortController();
    let timedOut = false;
    const handle = setTimeout(() => ((timedOut = true), controller.abort(timeout)), limitMs);
    const onStop = () => controller.abort(new StoppedError());
    if (!opts.ignoreStop) stopperOf(this).signal.addEventListener("abort", onStop, { once: true });
    const signal = controller.signal;
    let ok = false;
    try {
      const result = await raceAbort(fn(signal), signal);
      ok = true;
      return result;
    } catch (err) {
      if (timedOut) throw timeout;
      if (stopperOf(this).signal.aborted && !opts.ignoreStop) throw new StoppedError();
      throw toMonkeyError(err, name, this.context());
    } finally {
      clearTimeout(handle);
      stopperOf(this).signal.removeEventListener("abort", onStop);
      this.phases.push({ name, started_at: new Date(start).toISOString(), duration_ms: Date.now() - start, ok });
      this.currentPhase = previous;
    }
  };
}

/**
 * The monkey's stop signal of the old `Business` (an `AbortController` per business, created on
 * first use here), with the old `stop` and `stopping` that use it: the old `phase` and `pause`
 * listen to it.
 */
function installLegacyStopper({ Business, StoppedError }) {
  const stopperOf = (self) => (self.legacyStopper ??= new AbortController());
  Object.defineProperty(Business.prototype, "stopping", {
    configurable: true,
    get() {
      return stopperOf(this).signal.aborted;
    },
  });
  Business.prototype.stop = async function stop() {
    if (!this.stopping) stopperOf(this).abort(new StoppedError());
    await this.running;
  };
  Business.prototype.pause = function pause(ms, phaseName) {
    if (this.stopping) return Promise.resolve(false);
    if (ms <= 0) return new Promise((resolve) => setImmediate(() => resolve(!this.stopping)));
    const previous = this.currentPhase;
    if (phaseName) this.currentPhase = phaseName;
    return new Promise((resolve) => {
      const signal = stopperOf(this).signal;
      const done = (value) => {
        clearTimeout(handle);
        signal.removeEventListener("abort", onAbort);
        if (phaseName) this.currentPhase = previous;
        resolve(value);
      };
      const onAbort = () => done(false);
      const handle = setTimeout(() => done(true), ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  };
  return stopperOf;
}

/** `Business.phase`, `pause`, `stop` as after the second pass (af11c59: the timeout error built lazily, listeners on signals; compiled output). */
export function installPass2Phase({ Business, StoppedError, raceAbort }, { PhaseTimeoutError, toMonkeyError }) {
  const stopperOf = installLegacyStopper({ Business, StoppedError });
  Business.prototype.phase = async function phase(name, limitMs, fn, opts = {}) {
    if (this.stopping && !opts.ignoreStop) throw new StoppedError();
    const previous = this.currentPhase;
    this.currentPhase = name;
    const start = Date.now();
    let timeout = null;
    const controller = new AbortController();
    const handle = setTimeout(() => controller.abort((timeout = new PhaseTimeoutError(name, limitMs, this.context()))), limitMs);
    const onStop = () => controller.abort(new StoppedError());
    const stopper = stopperOf(this);
    if (!opts.ignoreStop) stopper.signal.addEventListener("abort", onStop, { once: true });
    const signal = controller.signal;
    let ok = false;
    try {
      const result = await raceAbort(fn(signal), signal);
      ok = true;
      return result;
    } catch (err) {
      if (timeout) throw timeout;
      if (stopper.signal.aborted && !opts.ignoreStop) throw new StoppedError();
      throw toMonkeyError(err, name, this.context());
    } finally {
      clearTimeout(handle);
      stopper.signal.removeEventListener("abort", onStop);
      this.phases.push({ name, started_at: new Date(start).toISOString(), duration_ms: Date.now() - start, ok });
      this.currentPhase = previous;
    }
  };
}

/** `KernelConnection.execute` and `onMessage` as at af11c59 (compiled output, but for the imports). */
export function installLegacyKernel({ KernelConnection, KernelExecutionError }, m, { KernelDiedError }) {
  const { executeRequest, inboundMessageSchema, statusContentSchema, streamContentSchema, displayContentSchema, executeResultSchema, errorContentSchema, executeReplySchema, stripAnsi } = m;
  const DEFAULT_MAX_OUTPUT_CHARS = 16_000_000;
  KernelConnection.prototype.execute = function execute(code, signal, opts = {}) {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error("an execution is already running on this kernel"));
    const { msgId, message } = executeRequest(code, this.session, this.username, { storeHistory: opts.storeHistory ?? true });
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.pending = null;
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = () => signal.removeEventListener("abort", onAbort);
      this.pending = {
        msgId,
        // the new settle() removes its own listener from this signal: a no-op here
        signal,
        out: { stdout: "", stderr: "", result: null },
        collect: opts.collect ?? null,
        outputChars: 0,
        maxOutputChars: opts.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS,
        clearPending: false,
        error: null,
        replied: false,
        idle: false,
        resolve: (out) => (done(), resolve(out)),
        reject: (err) => (done(), reject(err)),
      };
      this.socket.send(message);
    });
  };
  KernelConnection.prototype.onMessage = function onMessage(data) {
    const p = this.pending;
    if (!p) return;
    let parsed;
    try {
      parsed = inboundMessageSchema.safeParse(JSON.parse(data.toString()));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const msg = parsed.data;
    const c = msg.content;
    if (msg.header.msg_type === "status") {
      const state = statusContentSchema.safeParse(c).data?.execution_state;
      if (state === "dead" || state === "restarting") {
        this.pending = null;
        p.reject(new KernelDiedError(`kernel died while running code (status ${state})`));
        return;
      }
    }
    if (msg.parent_header.msg_id !== p.msgId) return;
    switch (msg.header.msg_type) {
      case "stream": {
        const s = streamContentSchema.safeParse(c);
        if (s.success) {
          p.out[s.data.name === "stderr" ? "stderr" : "stdout"] += s.data.text;
          legacyAddOutput(p, { output_type: "stream", name: s.data.name, text: s.data.text });
        }
        break;
      }
      case "display_data": {
        const d = displayContentSchema.safeParse(c);
        if (d.success) legacyAddOutput(p, { output_type: "display_data", data: d.data.data, metadata: d.data.metadata });
        break;
      }
      case "execute_result": {
        const r = executeResultSchema.safeParse(c);
        if (r.success && typeof r.data.data["text/plain"] === "string") p.out.result = r.data.data["text/plain"];
        if (r.success) legacyAddOutput(p, { output_type: "execute_result", data: r.data.data, metadata: r.data.metadata ?? {}, execution_count: r.data.execution_count ?? null });
        break;
      }
      case "error": {
        const e = errorContentSchema.safeParse(c);
        if (e.success) {
          p.error = new KernelExecutionError(e.data.ename, e.data.evalue, stripAnsi(e.data.traceback.join("\n")));
          legacyAddOutput(p, { output_type: "error", ename: e.data.ename, evalue: e.data.evalue, traceback: e.data.traceback });
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
      case "status":
        if (statusContentSchema.safeParse(c).data?.execution_state === "idle") p.idle = true;
        break;
      case "execute_reply": {
        p.replied = true;
        const r = executeReplySchema.safeParse(c);
        if (r.success && p.collect && typeof r.data.execution_count === "number") p.collect.executionCount = r.data.execution_count;
        if (r.success && r.data.status !== "ok" && !p.error) {
          p.error = new KernelExecutionError(r.data.ename ?? "ExecutionError", r.data.evalue ?? r.data.status, stripAnsi((r.data.traceback ?? []).join("\n")));
        }
        break;
      }
    }
    if (p.replied && p.idle) {
      this.pending = null;
      if (p.error) p.reject(p.error);
      else p.resolve(p.out);
    }
  };
}

function legacyAddOutput(p, output) {
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

/** Take the per-origin limit out of `HttpClient`: every request gets its "slot" at once (the old `request` plus one resolved await). */
export function installLegacyHttp(HttpClient) {
  const release = () => undefined;
  HttpClient.prototype.acquire = function acquire() {
    return release;
  };
}

/**
 * Install the old code of a benchmark variant: "before" (everything before issue 9's fixes: the
 * second pass's three and the third pass's kernel client and phase machinery), "pass2" (only the
 * third pass undone: the code as after the second pass, af11c59), "legacy-scrubber" (only the old
 * scrubber), or "current" (nothing).
 */
export async function installVariant(variant) {
  if (variant === "current") return;
  if (variant === "before" || variant === "legacy-scrubber") installLegacyScrubber((await import("../dist/services/secrets.js")).SecretScrubber);
  if (variant === "before" || variant === "pass2") {
    installLegacyKernel(await import("../dist/clients/jupyterlab/kernel.js"), await import("../dist/clients/jupyterlab/messages.js"), await import("../dist/errors.js"));
  }
  if (variant === "pass2") installPass2Phase(await import("../dist/businesses/base.js"), await import("../dist/errors.js"));
  if (variant === "before") {
    installLegacyPhase(await import("../dist/businesses/base.js"), await import("../dist/errors.js"));
    installLegacyHttp((await import("../dist/clients/http.js")).HttpClient);
  }
}
