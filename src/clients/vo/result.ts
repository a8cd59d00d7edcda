/**
 * Reading a DALI result (TAP, SIA) from an HTTP response as it streams: bytes are counted, the
 * body goes through the VOTable reader (or a CSV/TSV row counter) chunk by chunk and is then
 * dropped. A `QUERY_STATUS=ERROR` document becomes a {@link VoQueryError} carrying the
 * server's message, whatever the HTTP status said.
 * @module
 */
import { VoProtocolError, VotableReader, type Serialization } from "./votable.js";

/** The service reported that the query failed (DALI `QUERY_STATUS=ERROR`, or an error status). */
export class VoQueryError extends Error {
  override readonly name = "VoQueryError";
  constructor(
    message: string,
    /** HTTP status of the response that carried the error. */
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** What a result held. */
export interface ResultSummary {
  /** Data rows, or null when the format does not allow counting them. */
  rows: number | null;
  /** Bytes of the body as received (after content decoding). */
  bytes: number;
  /** Media type without parameters, e.g. `application/x-votable+xml`, `text/csv`. */
  contentType: string;
  serialization: Serialization | "csv" | "tsv" | null;
  /** `QUERY_STATUS` (VOTable only): OK or OVERFLOW here (ERROR is thrown). */
  status: string | null;
  /** The server's message attached to the status (e.g. why the result overflowed). */
  message: string | null;
  /** Why rows is null. */
  uncounted: string | null;
}

/** Counts records of a CSV (RFC 4180 quoting) or TSV stream; a header line is not a row. */
class DelimitedCounter {
  private records = 0;
  private inQuotes = false;
  private pendingContent = false;
  constructor(
    private readonly quoted: boolean,
    private readonly header: boolean,
  ) {}

  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.quoted && c === 34 /* " */) this.inQuotes = !this.inQuotes;
      else if (c === 10 /* \n */ && !this.inQuotes) {
        this.records++;
        this.pendingContent = false;
        continue;
      }
      if (c !== 13 /* \r */) this.pendingContent = true;
    }
  }

  /** Data rows: records minus the header line, if any. */
  end(): number {
    const records = this.records + (this.pendingContent ? 1 : 0);
    return Math.max(0, records - (this.header ? 1 : 0));
  }
}

function mediaType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** True for the media types a VOTable comes as (DaCHS sends its error documents as text/xml). */
export function isXml(type: string): boolean {
  return type.includes("votable") || type.endsWith("/xml") || type.endsWith("+xml");
}

/**
 * Read a whole result body as it streams. Throws {@link VoQueryError} for QUERY_STATUS=ERROR
 * and {@link VoProtocolError} for a malformed VOTable. `signal` aborts the read.
 */
export async function readResult(response: Response, signal: AbortSignal): Promise<ResultSummary> {
  const contentType = mediaType(response);
  const decoder = new TextDecoder("utf-8");
  let bytes = 0;
  let write: (text: string) => void;
  let finish: () => Omit<ResultSummary, "bytes" | "contentType">;
  if (isXml(contentType) || contentType === "") {
    const reader = new VotableReader();
    write = (t) => reader.write(t);
    finish = () => {
      const s = reader.end();
      if (s.status === "ERROR") throw new VoQueryError(s.message ?? "the service reported QUERY_STATUS=ERROR without a message", response.status);
      return { rows: s.rows, serialization: s.serialization, status: s.status, message: s.message, uncounted: s.uncounted };
    };
  } else if (contentType === "text/csv" || contentType === "text/tab-separated-values") {
    // `header=present|absent` when given; else TAP's CSV has a header line, TSV (as DaCHS sends it) none
    const csv = contentType === "text/csv";
    const param = /;\s*header=(present|absent)/i.exec(response.headers.get("content-type") ?? "")?.[1]?.toLowerCase();
    const counter = new DelimitedCounter(csv, param ? param === "present" : csv);
    write = (t) => counter.write(t);
    finish = () => ({ rows: counter.end(), serialization: csv ? "csv" : "tsv", status: null, message: null, uncounted: null });
  } else {
    write = () => undefined;
    finish = () => ({ rows: null, serialization: null, status: null, message: null, uncounted: `rows of ${contentType} results are not counted` });
  }
  const body = response.body;
  if (body) {
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        if (signal.aborted) throw signal.reason;
        bytes += chunk.byteLength;
        write(decoder.decode(chunk, { stream: true }));
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw err;
    } finally {
      if (signal.aborted) await body.cancel().catch(() => undefined);
    }
  }
  write(decoder.decode());
  return { ...finish(), bytes, contentType };
}

/**
 * The server's message from an error response that may be a DALI error VOTable (read at most
 * `limit` bytes); null when the body holds no QUERY_STATUS.
 */
export async function errorDocumentMessage(response: Response, limit = 65_536): Promise<string | null> {
  if (!isXml(mediaType(response))) {
    await response.body?.cancel().catch(() => undefined);
    return null;
  }
  const buf = await readBounded(response, limit);
  const reader = new VotableReader();
  try {
    reader.write(buf);
    const s = reader.end();
    return s.status === "ERROR" ? (s.message ?? "QUERY_STATUS=ERROR") : null;
  } catch (err) {
    if (err instanceof VoProtocolError) return null;
    throw err;
  }
}

/** At most `limit` bytes of a body as text; the rest is discarded. */
export async function readBounded(response: Response, limit: number): Promise<string> {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let bytes = 0;
  const body = response.body;
  if (!body) return "";
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    const take = chunk.subarray(0, Math.max(0, limit - bytes));
    bytes += take.byteLength;
    text += decoder.decode(take, { stream: true });
    if (bytes >= limit) {
      await body.cancel().catch(() => undefined);
      break;
    }
  }
  return text + decoder.decode();
}
