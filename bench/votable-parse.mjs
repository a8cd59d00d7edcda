/**
 * VOTable parse benchmark: how fast the TAP/SIA result reader (`readResult`: byte counting,
 * UTF-8 decoding, the saxes-based VOTable reader, row counting) gets through a large result,
 * and how much memory it needs while doing so.
 *
 * For each serialisation (TABLEDATA, BINARY2) a FRESH child process (`node --expose-gc
 * bench/votable-parse.mjs --child FORMAT`) streams a generated VOTable of ROWS rows through
 * `readResult` as a `Response` whose body is produced on demand in 64 KiB chunks (the document
 * never exists in memory as a whole, as with a real HTTP download), checks the row count, and
 * samples RSS and V8 heap every 512 KiB of document. A "read only" pass (same stream, bytes
 * counted and decoded, no XML parsing) gives the cost of the stream itself; the "capped" passes
 * repeat the parses with V8's old space limited to 16 MB, which only a reader that keeps
 * nothing survives.
 *
 *   node bench/votable-parse.mjs                  # one run, prints a table
 *   node bench/votable-parse.mjs --child td|b2|raw-td
 *
 * Imports from ../dist/: build first (`npx tsc -p tsconfig.build.json`). `bench/run.mjs` runs
 * this several times and writes docs/performance.md.
 * @module
 */
import { childMain } from "./lib.mjs";
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const ROWS = 1_000_000;
const CHUNK = 64 * 1024;
/** Memory is sampled before every SAMPLE_EVERY-th chunk (every 512 KiB). */
const SAMPLE_EVERY = 8;
const FIELDS = `<FIELD name="id" datatype="long"/><FIELD name="ra" datatype="double" unit="deg"/><FIELD name="dec" datatype="double" unit="deg"/><FIELD name="mag" datatype="float"/><FIELD name="name" datatype="char" arraysize="*"/><FIELD name="flag" datatype="boolean"/>`;
/** V8 old-space limit of the capped cases: the parse must fit in it whatever the result size. */
const CAP_MB = 16;
const CASES = [
  { key: "td", label: "TABLEDATA", parse: true },
  { key: "b2", label: "BINARY2 (base64)", parse: true },
  { key: "raw-td", label: "TABLEDATA, read only (no parsing)", parse: false },
  { key: "td", id: "td-capped", label: `TABLEDATA, old space capped at ${CAP_MB} MB`, parse: true, cap: CAP_MB },
  { key: "b2", id: "b2-capped", label: `BINARY2, old space capped at ${CAP_MB} MB`, parse: true, cap: CAP_MB },
];

export const name = "votable-parse";
export const title = "VOTable parsing (TAP/SIA results)";
export const description = `\`readResult\` (bytes counted, UTF-8 decoded, \`saxes\` VOTable reader, rows counted) over a generated VOTable of ${ROWS.toLocaleString("en-US")} rows × 6 columns (long, 2 double, float, \`char*\`, boolean), streamed as a \`Response\` body in ${CHUNK / 1024} KiB chunks made on demand — the document is never held in memory. One fresh child process (\`node --expose-gc\`) per case; memory sampled every ${(SAMPLE_EVERY * CHUNK) / 1024} KiB of document. The read-only case consumes and decodes the same stream without parsing it.`;

// ------------------------------------------------------------------ document generation

function header() {
  return `<?xml version="1.0" encoding="utf-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE>${FIELDS}<DATA>`;
}
const FOOTER = `</DATA></TABLE><INFO name="QUERY_STATUS" value="OK"/></RESOURCE></VOTABLE>\n`;

function tdRow(i) {
  const ra = ((i * 0.6180339887) % 1) * 360;
  const dec = ((i * 0.7548776662) % 1) * 180 - 90;
  return `<TR><TD>${i}</TD><TD>${ra}</TD><TD>${dec}</TD><TD>${(14 + (i % 100) * 0.1).toFixed(1)}</TD><TD>obj-${i}</TD><TD>${i % 2 ? "T" : "F"}</TD></TR>\n`;
}

/** One BINARY2 row: null-flag byte, long, double, double, float, char* (count + bytes), boolean. */
function b2Row(i) {
  const name = Buffer.from(`obj-${i}`);
  const b = Buffer.alloc(1 + 8 + 8 + 8 + 4 + 4 + name.length + 1);
  let o = 1;
  b.writeBigInt64BE(BigInt(i), o);
  b.writeDoubleBE(((i * 0.6180339887) % 1) * 360, (o += 8));
  b.writeDoubleBE(((i * 0.7548776662) % 1) * 180 - 90, (o += 8));
  b.writeFloatBE(14 + (i % 100) * 0.1, (o += 8));
  b.writeInt32BE(name.length, (o += 4));
  name.copy(b, (o += 4));
  b[o + name.length] = i % 2 ? 0x54 : 0x46;
  return b;
}

/**
 * A ReadableStream of the document, produced chunk by chunk as the reader pulls. `onChunk` is
 * called before each chunk (the reader never yields to timers, so memory is sampled here).
 */
function documentStream(format, rows, onChunk = () => undefined) {
  const enc = new TextEncoder();
  let i = 0;
  let phase = "header";
  let carry = Buffer.alloc(0); // BINARY2 bytes not yet base64-encoded (kept to a multiple of 3)
  return new ReadableStream({
    pull(controller) {
      onChunk();
      if (phase === "header") {
        controller.enqueue(enc.encode(header() + (format === "td" ? "<TABLEDATA>\n" : '<BINARY2><STREAM encoding="base64">\n')));
        phase = "rows";
        return;
      }
      if (phase === "rows") {
        if (format === "td") {
          let s = "";
          while (i < rows && s.length < CHUNK) s += tdRow(++i);
          controller.enqueue(enc.encode(s));
        } else {
          const parts = [carry];
          let size = carry.length;
          while (i < rows && size < (CHUNK / 4) * 3) {
            const r = b2Row(++i);
            parts.push(r);
            size += r.length;
          }
          const all = Buffer.concat(parts);
          const usable = i < rows ? all.length - (all.length % 3) : all.length;
          carry = all.subarray(usable);
          controller.enqueue(enc.encode(`${all.subarray(0, usable).toString("base64").replace(/.{76}/g, "$&\n")}\n`));
        }
        if (i >= rows) phase = "footer";
        return;
      }
      controller.enqueue(enc.encode((format === "td" ? "</TABLEDATA>" : "</STREAM></BINARY2>") + FOOTER));
      controller.close();
    },
  });
}

// ---------------------------------------------------------------- child: one measurement

async function child(key) {
  if (typeof globalThis.gc !== "function") throw new Error("run the child with node --expose-gc");
  const { readResult } = await import("../dist/clients/vo/result.js");
  const format = key.endsWith("b2") ? "b2" : "td";
  const parse = !key.startsWith("raw-");
  // warm up (JIT) on a small document, then measure from a collected heap
  await readResult(new Response(documentStream(format, 20_000), { headers: { "content-type": "application/x-votable+xml" } }), AbortSignal.timeout(60_000));
  globalThis.gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let chunks = 0;
  const sample = () => {
    if (chunks++ % SAMPLE_EVERY) return;
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const response = new Response(documentStream(format, ROWS, sample), { headers: { "content-type": parse ? "application/x-votable+xml" : "application/octet-stream" } });
  const t = performance.now();
  const result = await readResult(response, AbortSignal.timeout(600_000));
  const seconds = (performance.now() - t) / 1000;
  if (parse && result.rows !== ROWS) throw new Error(`counted ${result.rows} rows, expected ${ROWS}`);
  return { key, rows: ROWS, bytes: result.bytes, seconds, baseRss: base.rss, peakRssDelta: peakRss - base.rss, peakHeapDelta: peakHeap - base.heapUsed };
}

function runChild(key, cap) {
  return new Promise((resolve, reject) => {
    const flags = ["--expose-gc", ...(cap ? [`--max-old-space-size=${cap}`] : [])];
    const proc = spawn(process.execPath, [...flags, SELF, "--child", key], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let message = null;
    proc.on("message", (m) => (message = m));
    proc.on("error", reject);
    proc.on("exit", (code) => {
      if (message?.error) reject(new Error(message.error));
      else if (code !== 0 || !message) reject(new Error(`child ${key} exited ${code}`));
      else resolve(message);
    });
  });
}

/** One run: every case in its own process. */
export async function measure({ log = () => undefined } = {}) {
  const cases = [];
  for (const c of CASES) {
    log(`  ${c.label} …`);
    cases.push({ ...(await runChild(c.key, c.cap)), id: c.id ?? c.key });
  }
  return { cases };
}

/** Markdown for several runs: every figure is the median over runs. */
export function report(runs) {
  const rows = CASES.map((c) => {
    const ps = runs.flatMap((r) => r.cases.filter((x) => x.id === (c.id ?? c.key)));
    const med = (f) => median(ps.map(f));
    return [c.label, mb(med((p) => p.bytes)), fix(med((p) => p.seconds), 2), c.parse ? Math.round(med((p) => p.rows / p.seconds)).toLocaleString("en-US") : "—", fix(med((p) => p.bytes / p.seconds / 2 ** 20), 1), mb(med((p) => p.peakRssDelta)), mb(med((p) => p.peakHeapDelta)), `${ps.length}`];
  });
  return [
    table(["Case", "Document (MB)", "Time (s)", "Rows/s", "MB/s", "Peak RSS growth (MB)", "Peak heap growth (MB)", "Runs"], rows),
    "",
    `- Rows/s and MB/s: the whole document through \`readResult\` (generation of the stream included, ${ROWS.toLocaleString("en-US")} rows, row count checked); MB/s is of the body as sent (BINARY2: base64 text).`,
    "- Peak growth: highest RSS and V8 heap used seen while reading, minus their values just before (after a warm-up read of 20,000 rows and a forced GC); most of it is garbage not yet collected.",
    `- Capped: the same parse in a process started with \`--max-old-space-size=${CAP_MB}\` completes — memory does not grow with the result (a reader that kept the ${ROWS.toLocaleString("en-US")} rows, or a STREAM's text, would run out of heap).`,
  ].join("\n");
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const mb = (b) => (b / 2 ** 20).toFixed(1);
const fix = (x, d) => x.toFixed(d);
function table(header, rows) {
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [header, align, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const i = process.argv.indexOf("--child");
  if (i >= 0) {
    await childMain(() => child(process.argv[i + 1] ?? ""));
  } else {
    const run = await measure({ log: (m) => console.error(m) });
    console.log(report([run]));
  }
}
