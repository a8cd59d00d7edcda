/**
 * A monkey's own log: timestamped lines kept in memory, bounded in bytes (oldest lines are
 * dropped first; a single line longer than the whole bound is cut), and forwarded to the
 * process log with the monkey's context.
 * @module
 */
import type { Logger } from "pino";
import type { LineLogger } from "../businesses/types.js";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

export class MonkeyLog implements LineLogger {
  private lines: string[] = [];
  private bytes = 0;
  private dropped = 0;
  private readonly minLevel: number;

  constructor(
    private readonly opts: { maxBytes: number; level: string; logger: Logger; scrub: (text: string) => string },
  ) {
    const l = opts.level.toLowerCase();
    this.minLevel = LEVELS[(l === "warning" ? "warn" : l) as Level] ?? LEVELS.info;
  }

  debug(msg: string): void {
    this.write("debug", msg);
  }
  info(msg: string): void {
    this.write("info", msg);
  }
  warn(msg: string): void {
    this.write("warn", msg);
  }
  error(msg: string): void {
    this.write("error", msg);
  }

  /** The whole retained log as text. */
  text(): string {
    const head = this.dropped ? `[${this.dropped} older lines dropped to stay under ${this.opts.maxBytes} bytes]\n` : "";
    return head + this.lines.join("");
  }

  private write(level: Level, msg: string): void {
    if (LEVELS[level] < this.minLevel) return;
    const clean = this.opts.scrub(msg);
    this.opts.logger[level](clean);
    const line = fitLine(`${new Date().toISOString()} ${level.toUpperCase()} ${clean}\n`, this.opts.maxBytes);
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line);
    while (this.bytes > this.opts.maxBytes && this.lines.length > 1) {
      this.bytes -= Buffer.byteLength(this.lines.shift()!);
      this.dropped++;
    }
  }
}

/** `line` itself when it fits in `maxBytes`, else its head (cut on a character boundary) and a note. */
function fitLine(line: string, maxBytes: number): string {
  const size = Buffer.byteLength(line);
  if (size <= maxBytes) return line;
  const note = ` [line of ${size} bytes truncated]\n`;
  const buf = Buffer.from(line);
  let end = Math.max(0, maxBytes - Buffer.byteLength(note));
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // not inside a UTF-8 sequence
  return buf.subarray(0, end).toString("utf8") + note;
}
