/**
 * The process logger (pino, JSON lines). Known secrets are scrubbed from every line as it is
 * written, and the usual credential fields are redacted.
 * @module
 */
import { destination, pino, stdTimeFunctions, type DestinationStream, type Logger } from "pino";
import type { SecretScrubber } from "./services/secrets.js";

export function createLogger(opts: { level: string; scrubber: SecretScrubber; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: "troop" },
      redact: { paths: ["token", "*.token", "headers.authorization", "*.headers.authorization", "adminToken", "*.adminToken", "apiToken", "*.apiToken"], censor: "[REDACTED]" },
      hooks: { streamWrite: (line) => opts.scrubber.scrub(line) },
      timestamp: stdTimeFunctions.isoTime,
    },
    opts.destination ?? destination({ fd: 1, sync: false }),
  );
}
