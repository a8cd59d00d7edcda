/**
 * Typed errors in two families.
 *
 * - {@link ApiError}: what an API caller did wrong (or what does not exist). Carries a stable
 *   snake_case `code`, an HTTP status and optionally the location of the problem. The single
 *   error mapper in `api/error-mapper.ts` turns these into JSON bodies. Every code is listed in
 *   `docs/errors.md`.
 * - {@link MonkeyError}: what went wrong while a monkey ran its business. Carries the phase and
 *   the flock/monkey/business context plus the underlying `cause`. These never reach an API
 *   caller as exceptions; they become execution records.
 * @module
 */

/** Stable machine-readable API error codes. */
export type ApiErrorCode =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "flock_not_found"
  | "monkey_not_found"
  | "execution_not_found"
  | "flock_exists"
  | "invalid_request"
  | "invalid_json"
  | "body_too_large"
  | "invalid_flock_state"
  | "not_ready"
  | "scope_not_allowed"
  | "business_not_allowed"
  | "count_not_allowed"
  | "repo_not_allowed"
  | "too_many_failed_logins"
  | "headers_too_large"
  | "invalid_signature"
  | "org_not_accepted"
  | "internal_error";

/** One validation problem: where (a document path such as `business.options.code`) and what. */
export interface ErrorLocation {
  path: string;
  message: string;
}

/** An error meant for an API caller. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly errors: ErrorLocation[];

  constructor(opts: { code: ApiErrorCode; status: number; message: string; errors?: ErrorLocation[]; cause?: unknown }) {
    super(opts.message, { cause: opts.cause });
    this.code = opts.code;
    this.status = opts.status;
    this.errors = opts.errors ?? [];
  }
}

/** 404 for a flock name that is not running. */
export function flockNotFound(flock: string): ApiError {
  return new ApiError({ code: "flock_not_found", status: 404, message: `Flock ${flock} not found` });
}

/** 404 for a monkey name that is not in the flock. */
export function monkeyNotFound(flock: string, monkey: string): ApiError {
  return new ApiError({ code: "monkey_not_found", status: 404, message: `Monkey ${monkey} not found in flock ${flock}` });
}

/** 404 for an execution id that is not in the history (never stored, or pruned). */
export function executionNotFound(id: string): ApiError {
  return new ApiError({ code: "execution_not_found", status: 404, message: `Execution ${id} not found` });
}

/** Context every domain error carries. */
export interface MonkeyContext {
  flock?: string;
  monkey?: string;
  business?: string;
}

/** Failure classes that summaries and alerts group by. */
export type FailureClass =
  | "timeout"
  | "code_error"
  | "http_error"
  | "network_error"
  | "spawn_failed"
  | "protocol_error"
  | "dead_kernel"
  | "invalid_notebook"
  | "repo_error"
  | "query_error"
  | "internal";

/** A failure inside a business phase. */
export class MonkeyError extends Error {
  override readonly name: string = "MonkeyError";
  readonly phase: string;
  readonly failureClass: FailureClass;
  context: MonkeyContext;
  /** Code that was running when the failure happened, if any. */
  code: string | null;

  constructor(opts: { phase: string; message: string; failureClass: FailureClass; context?: MonkeyContext; cause?: unknown; code?: string | null }) {
    super(opts.message, { cause: opts.cause });
    this.phase = opts.phase;
    this.failureClass = opts.failureClass;
    this.context = opts.context ?? {};
    this.code = opts.code ?? null;
  }
}

/** A phase ran over its time limit. */
export class PhaseTimeoutError extends MonkeyError {
  override readonly name = "PhaseTimeoutError";
  readonly limitMs: number;

  constructor(phase: string, limitMs: number, context?: MonkeyContext) {
    super({ phase, failureClass: "timeout", message: `${phase} timed out after ${formatMs(limitMs)}`, context });
    this.limitMs = limitMs;
  }
}

/** Python code raised an exception in the kernel. */
export class CodeExecutionError extends MonkeyError {
  override readonly name = "CodeExecutionError";
  readonly ename: string;
  readonly evalue: string;
  readonly traceback: string;

  constructor(opts: { phase: string; code: string; ename: string; evalue: string; traceback: string; context?: MonkeyContext }) {
    super({ phase: opts.phase, failureClass: "code_error", message: `${opts.ename}: ${opts.evalue}`, context: opts.context, code: opts.code });
    this.ename = opts.ename;
    this.evalue = opts.evalue;
    this.traceback = opts.traceback;
  }
}

/** Raised by clients for an unexpected HTTP status. The URL never contains a secret. */
export class HttpStatusError extends Error {
  override readonly name = "HttpStatusError";
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} returned ${status}${body ? `: ${body.slice(0, 300)}` : ""}`);
  }
}

/** Raised by clients when the peer cannot be reached at all. */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  constructor(
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(`${method} ${url} failed: ${describeCause(cause)}`, { cause });
  }
}

/** The hub reported that a lab failed to spawn. `log` holds every progress message seen. */
export class SpawnFailedError extends Error {
  override readonly name = "SpawnFailedError";
  constructor(
    message: string,
    readonly log: readonly string[],
  ) {
    super(message);
  }
}

/** The kernel died (or its connection was lost) while code ran: status `dead`/`restarting`, or the websocket closed. */
export class KernelDiedError extends Error {
  override readonly name = "KernelDiedError";
}

/** Classify any thrown value raised during a phase into a MonkeyError. */
export function toMonkeyError(err: unknown, phase: string, context: MonkeyContext): MonkeyError {
  if (err instanceof MonkeyError) {
    err.context = { ...context, ...err.context };
    return err;
  }
  if (err instanceof HttpStatusError) {
    return new MonkeyError({ phase, failureClass: "http_error", message: err.message, context, cause: err });
  }
  if (err instanceof SpawnFailedError) {
    return new MonkeyError({ phase, failureClass: "spawn_failed", message: err.message, context, cause: err });
  }
  if (err instanceof NetworkError) {
    return new MonkeyError({ phase, failureClass: "network_error", message: err.message, context, cause: err });
  }
  if (err instanceof KernelDiedError) {
    return new MonkeyError({ phase, failureClass: "dead_kernel", message: err.message, context, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new MonkeyError({ phase, failureClass: "internal", message, context, cause: err });
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    const code = inner && typeof inner === "object" && "code" in inner ? String((inner as { code: unknown }).code) : "";
    return code ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}

/** Human form of a duration in milliseconds ("2s", "1m30s", "250ms"). */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return rest ? `${m}m${rest}s` : `${m}m`;
}
