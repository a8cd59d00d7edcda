/**
 * Every secret the process knows (API token, hub admin token, each bot token once minted), so
 * that any text about to leave the process — a log line, a monkey log, an error message — can
 * be scrubbed of them as a last line of defence. Code should never put a secret in text in the
 * first place; this catches mistakes.
 *
 * With 10,000 monkeys there are 10,000 bot tokens, and every log line and execution record is
 * scrubbed, so the cost must not grow with the number of secrets: secrets are indexed by a hash
 * of their first KEY characters, and `scrub` slides a rolling hash of KEY characters over the
 * text once, comparing the text with a secret only where the hash matches one. `add` is O(1),
 * `scrub` linear in the text. (It replaced one RegExp alternation of every secret, which was
 * recompiled after each `add` — 0.3–1 s at 10,000 secrets — and cost ~0.6 ms per record; see
 * docs/performance-notes.md.)
 *
 * `scrubOutput` adds the redaction by pattern of secret-looking assignments
 * (secret-assignments.ts) for what code printed — notebook outputs, tracebacks, cell excerpts —
 * which may hold secrets the process never knew (the lab's own hub token).
 * @module
 */
import { redactSecretAssignments } from "./secret-assignments.js";

const MIN_LENGTH = 8;
/** Length of the hashed prefix (≤ MIN_LENGTH, so that every secret has one). */
const KEY = 8;
const BASE = 0x01000193;
/** BASE^(KEY-1) mod 2^32, to drop the leftmost character of the window. */
const TOP = (() => {
  let p = 1;
  for (let i = 1; i < KEY; i++) p = Math.imul(p, BASE);
  return p;
})();
const REDACTED = "[REDACTED]";

function prefixHash(s: string, from: number): number {
  let h = 0;
  for (let i = from; i < from + KEY; i++) h = (Math.imul(h, BASE) + s.charCodeAt(i)) | 0;
  return h;
}

/** `s` as it appears inside a JSON string. */
function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export class SecretScrubber {
  private readonly secrets = new Set<string>();
  /** Hash of the first KEY characters → the secrets with that hash, longest first. */
  private readonly byPrefix = new Map<number, string[]>();
  /** Low 16 bits of every prefix hash: most windows of a text are rejected here, before the Map. */
  private readonly filter = new Uint8Array(1 << 16);

  /**
   * Remember a secret (ignored if too short to be one). A secret with characters that JSON
   * escapes (a PEM key's newlines, a quote, a backslash) is also remembered as it appears inside
   * a JSON string, once and twice serialized: records and response bodies are scrubbed as
   * serialized JSON, and an execution's `raw` field is JSON inside JSON.
   */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_LENGTH) return;
    this.index(secret);
    const once = jsonEscaped(secret);
    if (once === secret) return;
    this.index(once);
    this.index(jsonEscaped(once));
  }

  private index(secret: string): void {
    if (this.secrets.has(secret)) return;
    this.secrets.add(secret);
    const h = prefixHash(secret, 0);
    this.filter[h & 0xffff] = 1;
    const list = this.byPrefix.get(h);
    if (!list) this.byPrefix.set(h, [secret]);
    else {
      list.push(secret);
      list.sort((a, b) => b.length - a.length);
    }
  }

  /**
   * {@link scrub}, then the values of secret-looking assignments (`JUPYTERHUB_API_TOKEN=…`,
   * `'API_KEY': '…'`): for text that code printed, which may hold secrets never added here.
   */
  scrubOutput(text: string): string {
    return redactSecretAssignments(this.scrub(text));
  }

  /** Replace every known secret in `text` with `[REDACTED]` (where two overlap at one place, the longest). */
  scrub(text: string): string {
    if (this.secrets.size === 0 || text.length < KEY) return text;
    let out = "";
    let last = 0;
    let h = prefixHash(text, 0);
    for (let i = 0; ; ) {
      if (this.filter[h & 0xffff] === 1) {
        const hit = this.byPrefix.get(h)?.find((s) => text.startsWith(s, i));
        if (hit) {
          out += text.slice(last, i) + REDACTED;
          i += hit.length;
          last = i;
          if (i + KEY > text.length) break;
          h = prefixHash(text, i);
          continue;
        }
      }
      if (i + KEY >= text.length) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(i), TOP), BASE) + text.charCodeAt(i + KEY)) | 0;
      i++;
    }
    return last === 0 ? text : out + text.slice(last);
  }
}
