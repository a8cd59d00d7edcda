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
    if (!opts.ignoreStop) this.stopper.signal.addEventListener("abort", onStop, { once: true });
    const signal = controller.signal;
    let ok = false;
    try {
      const result = await raceAbort(fn(signal), signal);
      ok = true;
      return result;
    } catch (err) {
      if (timedOut) throw timeout;
      if (this.stopper.signal.aborted && !opts.ignoreStop) throw new StoppedError();
      throw toMonkeyError(err, name, this.context());
    } finally {
      clearTimeout(handle);
      this.stopper.signal.removeEventListener("abort", onStop);
      this.phases.push({ name, started_at: new Date(start).toISOString(), duration_ms: Date.now() - start, ok });
      this.currentPhase = previous;
    }
  };
}

/** Take the per-origin limit out of `HttpClient`: every request gets its "slot" at once (the old `request` plus one resolved await). */
export function installLegacyHttp(HttpClient) {
  const release = () => undefined;
  HttpClient.prototype.acquire = function acquire() {
    return release;
  };
}

/** Install the old code of a benchmark variant: "before" (all three), "legacy-scrubber" (only that), or "current" (nothing). */
export async function installVariant(variant) {
  if (variant === "current") return;
  if (variant === "before" || variant === "legacy-scrubber") installLegacyScrubber((await import("../dist/services/secrets.js")).SecretScrubber);
  if (variant === "before") {
    installLegacyPhase(await import("../dist/businesses/base.js"), await import("../dist/errors.js"));
    installLegacyHttp((await import("../dist/clients/http.js")).HttpClient);
  }
}
