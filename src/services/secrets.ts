/**
 * Every secret the process knows (API token, hub admin token, each bot token once minted), so
 * that any text about to leave the process — a log line, a monkey log, an error message — can
 * be scrubbed of them as a last line of defence. Code should never put a secret in text in the
 * first place; this catches mistakes.
 * @module
 */

const MIN_LENGTH = 8;

export class SecretScrubber {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  /** Remember a secret (ignored if too short to be one). */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_LENGTH || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.pattern = null;
  }

  /** Replace every known secret in `text` with `[REDACTED]`. */
  scrub(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= new RegExp([...this.secrets].map(escape).join("|"), "g");
    return text.replace(this.pattern, "[REDACTED]");
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
