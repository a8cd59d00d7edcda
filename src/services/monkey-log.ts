/**
 * A monkey's own log: timestamped lines kept in memory, bounded in bytes (oldest lines are
 * dropped first), and forwarded to the process log with the monkey's context.
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
    const line = `${new Date().toISOString()} ${level.toUpperCase()} ${clean}\n`;
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line);
    while (this.bytes > this.opts.maxBytes && this.lines.length > 1) {
      this.bytes -= Buffer.byteLength(this.lines.shift()!);
      this.dropped++;
    }
  }
}
