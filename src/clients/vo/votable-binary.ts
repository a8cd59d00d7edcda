/**
 * Row counting for the BINARY and BINARY2 serialisations of a VOTable (VOTable 1.4 §5.4–5.5),
 * as a streaming state machine: bytes go in chunk by chunk (decoded from the base64 STREAM),
 * nothing is kept but the position inside the current row. Each row is skipped field by field
 * from the FIELD declarations; variable-length arrays carry a 4-byte big-endian item count.
 * @module
 */

/** A FIELD as far as its binary layout goes. */
export interface FieldLayout {
  datatype: string;
  /** `arraysize` attribute (absent: a scalar). */
  arraysize?: string | undefined;
}

/** Bytes per item of each VOTable datatype (`bit` is counted in bits, see {@link bitsToBytes}). */
const ITEM_BYTES: Readonly<Record<string, number>> = {
  boolean: 1,
  bit: 1,
  unsignedByte: 1,
  short: 2,
  int: 4,
  long: 8,
  char: 1,
  unicodeChar: 2,
  float: 4,
  double: 8,
  floatComplex: 8,
  doubleComplex: 16,
};

/** One step of a row: skip a fixed number of bytes, or read a count then skip count items. */
type Step = { kind: "fixed"; bytes: number } | { kind: "variable"; itemBytes: number; bits: boolean; perCount: number };

/** The FIELD list cannot be laid out (unknown datatype, bad arraysize). */
export class VotableLayoutError extends Error {
  override readonly name = "VotableLayoutError";
}

function bitsToBytes(bits: number): number {
  return Math.ceil(bits / 8);
}

/** Layout of one field: fixed bytes, or a variable array (count prefix). */
function fieldStep(f: FieldLayout): Step {
  const item = ITEM_BYTES[f.datatype];
  if (item === undefined) throw new VotableLayoutError(`unknown VOTable datatype "${f.datatype}"`);
  const bits = f.datatype === "bit";
  const size = (f.arraysize ?? "1").trim() || "1";
  const dims = size.split("x");
  let fixedItems = 1;
  let variable = false;
  dims.forEach((d, i) => {
    if (d.endsWith("*")) {
      if (i !== dims.length - 1) throw new VotableLayoutError(`arraysize "${size}": only the last dimension may be variable`);
      variable = true;
      return;
    }
    const n = Number(d);
    if (!Number.isInteger(n) || n < 0) throw new VotableLayoutError(`arraysize "${size}" is not valid`);
    fixedItems *= n;
  });
  // a variable array's count is the number of items in its last dimension (VOTable 1.4 §5.4)
  if (variable) return { kind: "variable", itemBytes: item, bits, perCount: fixedItems };
  return { kind: "fixed", bytes: bits ? bitsToBytes(fixedItems) : fixedItems * item };
}

/** Merge consecutive fixed steps so a row of scalars is one skip. */
function plan(fields: readonly FieldLayout[], nullFlagBytes: number): Step[] {
  const steps: Step[] = [];
  const push = (s: Step) => {
    const last = steps.at(-1);
    if (s.kind === "fixed" && last?.kind === "fixed") last.bytes += s.bytes;
    else steps.push(s.kind === "fixed" ? { ...s } : s);
  };
  if (nullFlagBytes > 0) push({ kind: "fixed", bytes: nullFlagBytes });
  for (const f of fields) push(fieldStep(f));
  return steps;
}

/** Counts rows of a BINARY or BINARY2 stream fed with {@link BinaryRowCounter.write}. */
export class BinaryRowCounter {
  /** Complete rows seen so far. */
  rows = 0;
  private readonly steps: Step[];
  private step = 0;
  /** Bytes still to skip in the current step (fixed part or the items of a variable one). */
  private skip: number;
  /** Bytes of a variable step's count read so far (0–4), and their value. */
  private countBytes = 0;
  private count = 0;
  private readonly empty: boolean;

  constructor(fields: readonly FieldLayout[], serialization: "BINARY" | "BINARY2") {
    this.steps = plan(fields, serialization === "BINARY2" ? Math.ceil(fields.length / 8) : 0);
    this.empty = this.steps.length === 0 || this.steps.every((s) => s.kind === "fixed" && s.bytes === 0);
    this.skip = this.initialSkip(0);
  }

  private initialSkip(i: number): number {
    const s = this.steps[i];
    return s?.kind === "fixed" ? s.bytes : 0;
  }

  /** Feed the next bytes of the decoded stream. */
  write(bytes: Uint8Array): void {
    if (this.empty) return;
    let pos = 0;
    const end = bytes.length;
    while (pos < end) {
      const s = this.steps[this.step]!;
      if (s.kind === "variable" && this.countBytes < 4) {
        this.count = this.count * 256 + bytes[pos]!;
        pos++;
        this.countBytes++;
        if (this.countBytes === 4) {
          const items = this.count * s.perCount;
          this.skip = s.bits ? bitsToBytes(items) : items * s.itemBytes;
        } else continue;
      }
      const take = Math.min(this.skip, end - pos);
      pos += take;
      this.skip -= take;
      if (this.skip === 0) this.nextStep();
    }
  }

  private nextStep(): void {
    this.step++;
    if (this.step === this.steps.length) {
      this.step = 0;
      this.rows++;
    }
    this.countBytes = 0;
    this.count = 0;
    this.skip = this.initialSkip(this.step);
  }

  /** True when the stream ended on a row boundary. */
  get atRowBoundary(): boolean {
    return this.empty || (this.step === 0 && this.countBytes === 0 && this.skip === this.initialSkip(0));
  }
}

/**
 * Incremental base64 decoder for STREAM text that arrives in arbitrary pieces (whitespace
 * allowed anywhere): returns the bytes of every complete 4-character group.
 */
export class Base64Chunks {
  private rest = "";

  push(text: string): Buffer {
    const clean = this.rest + text.replace(/[^A-Za-z0-9+/=]/g, "");
    const usable = clean.length - (clean.length % 4);
    this.rest = clean.slice(usable);
    return usable > 0 ? Buffer.from(clean.slice(0, usable), "base64") : Buffer.alloc(0);
  }

  /** Whatever is left at the end (a valid stream leaves nothing). */
  end(): Buffer {
    const rest = this.rest;
    this.rest = "";
    return rest ? Buffer.from(rest, "base64") : Buffer.alloc(0);
  }
}
