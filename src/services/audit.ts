/**
 * The audit log: every change made through the API (who, what, when, the flock before and
 * after) and every flock refresh caused by a GitHub push (actor `github:<delivery id>`, role
 * `github`), with secrets redacted — values of secret-looking keys, credentials in URLs and any
 * secret the process knows — before anything is stored.
 * @module
 */
import type { Logger } from "pino";
import type { AuditEntry, AuditQuery, SqliteAuditStore } from "../store/audit-sqlite.js";
import type { SecretScrubber } from "./secrets.js";

/** What the audit log knows of a flock at one moment. */
export interface FlockSnapshot {
  config: Record<string, unknown>;
  paused: boolean;
}

/** Dependencies of {@link AuditService}. */
export interface AuditDeps {
  store: SqliteAuditStore;
  scrubber: SecretScrubber;
  logger: Logger;
  /** The flock of that name now, or null when there is none. */
  snapshot(flock: string): FlockSnapshot | null;
}

const SECRET_KEY = /token|secret|password|passwd|credential|webhook|authorization|cookie/i;

/** Records and reads audit entries. */
export class AuditService {
  constructor(private readonly deps: AuditDeps) {}

  /** The flock now (redacted), for the before/after of an entry. */
  snapshot(flock: string | null): unknown {
    if (flock === null) return null;
    const s = this.deps.snapshot(flock);
    return s ? this.redact(s) : null;
  }

  /** Append one entry; a failure to write is logged, never thrown at the caller of the change. */
  async record(e: Omit<AuditEntry, "id" | "at">): Promise<void> {
    try {
      await this.deps.store.append({ ...e, at: new Date().toISOString(), before: this.redact(e.before), after: this.redact(e.after) });
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message, action: e.action }, "could not write the audit log");
    }
  }

  /** Entries newest first. */
  list(q: AuditQuery): Promise<AuditEntry[]> {
    return this.deps.store.list(q);
  }

  /** A deep copy with secrets replaced by `[REDACTED]`. */
  redact(value: unknown): unknown {
    if (typeof value === "string") return this.deps.scrubber.scrub(value).replace(/\/\/[^/@\s]+@/g, "//[REDACTED]@");
    if (Array.isArray(value)) return value.map((v) => this.redact(v));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null && typeof v !== "boolean" ? "[REDACTED]" : this.redact(v)]));
    }
    return value;
  }
}
