/**
 * A streaming VOTable reader: text goes in piece by piece, a {@link VotableSummary} comes out.
 * It counts rows (TABLEDATA `TR`s; BINARY and BINARY2 rows from the FIELD layout) and reads
 * the DALI `QUERY_STATUS` INFO (OK, OVERFLOW or ERROR with the server's message). Nothing of
 * the data is kept, so memory does not grow with the result. XML is parsed by `saxes`, except
 * the bodies of STREAM and TABLEDATA elements (see `votable-sections.ts`): saxes gathers a text
 * node whole before reporting it — for a BINARY stream, the whole result — and parsing every
 * TD is the slow part of TABLEDATA.
 * @module
 */
import { SaxesParser, type SaxesTagPlain } from "saxes";
import { Base64Chunks, BinaryRowCounter, VotableLayoutError, type FieldLayout } from "./votable-binary.js";
import { StreamSection, TableDataSection, type RawSection } from "./votable-sections.js";

/** The document is not a well-formed VOTable (or not XML at all). */
export class VoProtocolError extends Error {
  override readonly name = "VoProtocolError";
}

/** How the table data were serialised. */
export type Serialization = "TABLEDATA" | "BINARY" | "BINARY2" | "FITS";

/** What a VOTable said. */
export interface VotableSummary {
  /** Rows of every table, or null when they could not be counted (FITS, external stream). */
  rows: number | null;
  tables: number;
  /** Value of the (most severe) `QUERY_STATUS` INFO: OK, OVERFLOW, ERROR; null if absent. */
  status: string | null;
  /** Text of that INFO (the server's message), bounded; null if empty. */
  message: string | null;
  serialization: Serialization | null;
  /** Why rows is null. */
  uncounted: string | null;
}

const MESSAGE_LIMIT = 4000;
/** QUERY_STATUS values by severity: the most severe one seen is reported. */
const SEVERITY: Readonly<Record<string, number>> = { OK: 1, OVERFLOW: 2, ERROR: 3 };
/** A STREAM or TABLEDATA start tag, with or without a namespace prefix. */
const SECTION_OPEN = /<([A-Za-z_][\w.-]*:)?(STREAM|TABLEDATA)(?=[\s/>])/;
/** Longest tail held back because it may be the beginning of such a start tag. */
const TAIL = 80;

/** Index of the `>` that ends the tag starting at `from` (quotes respected), or -1 if not yet there. */
function tagEnd(s: string, from: number): number {
  let quote = "";
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return i;
  }
  return -1;
}

function local(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(i + 1);
}

/** Incremental VOTable reader. Call {@link write} with each piece of text, then {@link end}. */
export class VotableReader {
  private readonly parser = new SaxesParser({ xmlns: false, position: false });
  private rows = 0;
  private tables = 0;
  private uncounted: string | null = null;
  private serialization: Serialization | null = null;
  private status: string | null = null;
  private message = "";
  private infoText: string | null = null;
  private infoValue = "";
  private fields: FieldLayout[] = [];
  private inTableData = false;
  private binary: "BINARY" | "BINARY2" | null = null;
  private stream: { counter: BinaryRowCounter; base64: Base64Chunks } | null = null;
  private sawRoot = false;
  private failure: Error | null = null;
  /** Input not yet given to saxes (a STREAM or TABLEDATA start tag cut by a chunk boundary). */
  private pending = "";
  /** The STREAM or TABLEDATA body being read by hand, bypassing saxes. */
  private section: RawSection | null = null;

  constructor() {
    this.parser.on("opentag", (tag) => this.open(tag));
    this.parser.on("closetag", (tag) => this.close(tag));
    this.parser.on("text", (text) => this.text(text));
    this.parser.on("cdata", (text) => this.text(text));
  }

  /** Feed the next piece of the document. Throws {@link VoProtocolError} on malformed input. */
  write(text: string): void {
    try {
      this.split(this.pending + text);
    } catch (err) {
      throw this.wrap(err);
    }
    if (this.failure) throw this.failure;
  }

  /** Give saxes everything but the bodies of STREAM and TABLEDATA elements, read by sections. */
  private split(input: string): void {
    let s = input;
    this.pending = "";
    while (s.length > 0) {
      if (this.section) {
        const rest = this.section.feed(s);
        if (rest === null) return;
        this.section = null;
        s = rest;
        continue;
      }
      const m = s.includes("STREAM") || s.includes("TABLEDATA") ? SECTION_OPEN.exec(s) : null;
      if (!m) {
        const lt = s.lastIndexOf("<");
        const hold = lt >= 0 && s.length - lt < TAIL && !s.includes(">", lt) ? lt : s.length;
        this.parser.write(s.slice(0, hold));
        this.pending = s.slice(hold);
        return;
      }
      const end = tagEnd(s, m.index);
      if (end < 0) {
        this.parser.write(s.slice(0, m.index));
        this.pending = s.slice(m.index);
        return;
      }
      this.parser.write(s.slice(0, end + 1)); // saxes sees the start tag (and sets up counting)
      if (s[end - 1] !== "/") {
        this.section = m[2] === "STREAM" ? new StreamSection((t) => this.streamText(t)) : new TableDataSection(m[1] ?? "", () => this.rows++);
      }
      s = s.slice(end + 1);
    }
  }

  /** The document ended: check it was complete and summarise it. */
  end(): VotableSummary {
    try {
      if (this.pending) this.parser.write(this.pending);
      this.pending = "";
      this.parser.close();
    } catch (err) {
      throw this.wrap(err);
    }
    if (this.failure) throw this.failure;
    if (!this.sawRoot) throw new VoProtocolError("not a VOTable: no VOTABLE element");
    return {
      rows: this.uncounted ? null : this.rows,
      tables: this.tables,
      status: this.status,
      message: this.message.trim() ? this.message.trim().slice(0, MESSAGE_LIMIT) : null,
      serialization: this.serialization,
      uncounted: this.uncounted,
    };
  }

  private wrap(err: unknown): Error {
    if (err instanceof VoProtocolError) return err;
    return new VoProtocolError(`malformed VOTable: ${err instanceof Error ? err.message : String(err)}`);
  }

  private open(tag: SaxesTagPlain): void {
    const name = local(tag.name);
    const attr = tag.attributes;
    if (!this.sawRoot) {
      if (name !== "VOTABLE") throw new VoProtocolError(`not a VOTable: the root element is ${tag.name}`);
      this.sawRoot = true;
    }
    switch (name) {
      case "TABLE":
        this.tables++;
        this.fields = [];
        break;
      case "FIELD":
        this.fields.push({ datatype: attr["datatype"] ?? "", arraysize: attr["arraysize"] });
        break;
      case "TABLEDATA":
        this.serialization = "TABLEDATA";
        this.inTableData = true;
        break;
      case "TR":
        if (this.inTableData) this.rows++;
        break;
      case "BINARY":
      case "BINARY2":
        this.serialization = name;
        this.binary = name;
        break;
      case "FITS":
        this.serialization = "FITS";
        this.uncounted = "rows of FITS-serialised tables are not counted";
        break;
      case "STREAM":
        this.openStream(attr);
        break;
      case "INFO":
        if (attr["name"] === "QUERY_STATUS") {
          this.infoText = "";
          this.infoValue = (attr["value"] ?? "").toUpperCase();
        }
        break;
    }
  }

  private openStream(attr: Record<string, string>): void {
    if (!this.binary) return; // a FITS stream
    if (attr["href"]) {
      this.uncounted = "the table data are in an external stream (href)";
      return;
    }
    const encoding = attr["encoding"] ?? "";
    if (encoding !== "base64") {
      this.uncounted = `STREAM encoding "${encoding || "none"}" is not supported for counting`;
      return;
    }
    try {
      this.stream = { counter: new BinaryRowCounter(this.fields, this.binary), base64: new Base64Chunks() };
    } catch (err) {
      if (!(err instanceof VotableLayoutError)) throw err;
      this.uncounted = err.message;
    }
  }

  private close(tag: SaxesTagPlain): void {
    const name = local(tag.name);
    if (name === "TABLEDATA") this.inTableData = false;
    else if (name === "BINARY" || name === "BINARY2") this.binary = null;
    else if (name === "STREAM" && this.stream) {
      const { counter, base64 } = this.stream;
      counter.write(base64.end());
      this.stream = null;
      if (!counter.atRowBoundary) this.failure = new VoProtocolError(`truncated ${this.serialization} stream: the last row is incomplete`);
      this.rows += counter.rows;
    } else if (name === "INFO" && this.infoText !== null) {
      const severity = SEVERITY[this.infoValue] ?? 0;
      if (this.status === null || severity > (SEVERITY[this.status] ?? 0)) {
        this.status = this.infoValue;
        this.message = this.infoText;
      }
      this.infoText = null;
    }
  }

  private text(text: string): void {
    if (this.stream) this.streamText(text);
    else if (this.infoText !== null && this.infoText.length < MESSAGE_LIMIT) this.infoText += text;
  }

  /** Content of a STREAM: decoded and counted when it is a table's, else dropped. */
  private streamText(text: string): void {
    if (this.stream && text) this.stream.counter.write(this.stream.base64.push(text));
  }
}
