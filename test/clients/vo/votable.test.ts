/** The streaming VOTable reader and result counting: fixtures from astropy and DaCHS, any chunking. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readResult, VoQueryError } from "../../../src/clients/vo/result.js";
import { BinaryRowCounter } from "../../../src/clients/vo/votable-binary.js";
import { VoProtocolError, VotableReader } from "../../../src/clients/vo/votable.js";

const fixture = (name: string) => readFileSync(new URL(`../../data/votables/${name}`, import.meta.url), "utf8");

/** Feed `text` in pieces of `size` characters (splitting tags, base64 groups and entities). */
function read(text: string, size = text.length) {
  const r = new VotableReader();
  for (let i = 0; i < text.length; i += size) r.write(text.slice(i, i + size));
  return r.end();
}

function response(body: string, contentType: string, status = 200): Response {
  return new Response(body, { status, headers: { "content-type": contentType } });
}

describe("VotableReader", () => {
  it.each(["tabledata", "binary", "binary2"])("counts the 7 rows astropy wrote as %s, however the text is split", (fmt) => {
    const text = fixture(`astropy-${fmt}.xml`);
    for (const size of [text.length, 1000, 97, 13, 4, 1]) {
      expect(read(text, size)).toMatchObject({ rows: 7, tables: 1, status: "OK", serialization: fmt.toUpperCase() });
    }
  });

  it("counts DaCHS's BINARY SIA answer (12 images) and reads OVERFLOW after the table", () => {
    expect(read(fixture("dachs-sia-binary.xml"), 333)).toMatchObject({ rows: 12, status: "OK", serialization: "BINARY" });
    expect(read(fixture("dachs-overflow.xml"), 50)).toMatchObject({ rows: 25, status: "OVERFLOW" });
  });

  it("reads an error document's message", () => {
    const s = read(fixture("dachs-error.xml"));
    expect(s.status).toBe("ERROR");
    expect(s.message).toMatch(/Could not parse your query: Expected "SELECT"/);
  });

  it("refuses malformed or truncated documents with a protocol error", () => {
    expect(() => read("<html><body>502 Bad Gateway</body></html>")).toThrow(VoProtocolError);
    expect(() => read("not xml at all")).toThrow(VoProtocolError);
    const text = fixture("astropy-tabledata.xml");
    expect(() => read(text.slice(0, text.length / 2))).toThrow(/malformed VOTable/);
    // a base64 stream that stops inside a row
    const bin = fixture("astropy-binary2.xml").replace(/(<STREAM[^>]*>)([^<]*)(<\/STREAM>)/, (_m, a: string, b: string, c: string) => a + b.replace(/\s/g, "").slice(0, 40) + c);
    expect(() => read(bin)).toThrow(/truncated BINARY2 stream/);
  });

  it("counts TABLEDATA rows without being fooled by comments, CDATA or look-alike names", () => {
    const doc = `<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="char" arraysize="*"/><DATA><TABLEDATA>
      <TR><TD>1</TD></TR><!-- <TR><TD>commented</TD></TR> --><TR ID="r2"><TD><![CDATA[<TR>not a row</TR>]]></TD></TR>
      <TR><TD>&lt;TR&gt;</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>`;
    for (const size of [doc.length, 7, 3, 1]) expect(read(doc, size)).toMatchObject({ rows: 3, serialization: "TABLEDATA" });
  });

  it("handles namespace prefixes, href streams and FITS", () => {
    const prefixed = `<vot:VOTABLE xmlns:vot="http://www.ivoa.net/xml/VOTable/v1.3"><vot:RESOURCE type="results"><vot:INFO name="QUERY_STATUS" value="OK"/><vot:TABLE><vot:FIELD name="a" datatype="int"/><vot:DATA><vot:TABLEDATA><vot:TR><vot:TD>1</vot:TD></vot:TR><vot:TR><vot:TD>2</vot:TD></vot:TR></vot:TABLEDATA></vot:DATA></vot:TABLE></vot:RESOURCE></vot:VOTABLE>`;
    expect(read(prefixed)).toMatchObject({ rows: 2, status: "OK" });
    const href = `<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/><DATA><BINARY><STREAM href="http://x/y"/></BINARY></DATA></TABLE></RESOURCE></VOTABLE>`;
    expect(read(href)).toMatchObject({ rows: null, uncounted: expect.stringMatching(/external stream/) });
  });
});

describe("BinaryRowCounter", () => {
  it("skips fixed fields, variable arrays and bit arrays; BINARY2 adds null flags", () => {
    const fields = [{ datatype: "int" }, { datatype: "char", arraysize: "*" }, { datatype: "bit", arraysize: "10" }, { datatype: "double", arraysize: "2x*" }];
    const row = (n: number, k: number) => {
      const b = Buffer.alloc(4 + 4 + n + 2 + 4 + 16 * k);
      b.writeInt32BE(n, 4);
      b.writeInt32BE(k, 4 + 4 + n + 2);
      return b;
    };
    const c = new BinaryRowCounter(fields, "BINARY");
    const all = Buffer.concat([row(3, 0), row(0, 2), row(10, 1)]);
    for (const byte of all) c.write(Uint8Array.of(byte)); // one byte at a time
    expect(c.rows).toBe(3);
    expect(c.atRowBoundary).toBe(true);
    const c2 = new BinaryRowCounter(fields, "BINARY2");
    c2.write(Buffer.concat([Buffer.alloc(1), row(2, 1)]));
    expect(c2.rows).toBe(1);
    c2.write(Buffer.alloc(3));
    expect(c2.atRowBoundary).toBe(false);
  });
});

describe("readResult", () => {
  it("counts bytes and rows of a streamed body and turns QUERY_STATUS=ERROR into the server's message", async () => {
    const text = fixture("astropy-binary.xml");
    const r = await readResult(response(text, "application/x-votable+xml"), AbortSignal.timeout(5000));
    expect(r).toMatchObject({ rows: 7, bytes: Buffer.byteLength(text), contentType: "application/x-votable+xml", status: "OK" });
    await expect(readResult(response(fixture("dachs-error.xml"), "text/xml"), AbortSignal.timeout(5000))).rejects.toThrow(VoQueryError);
  });

  it("counts CSV records (quoted newlines, header) and TSV lines", async () => {
    const csv = 'a,b\n1,"x\ny"\n2,"q""uote"\n3,z';
    expect(await readResult(response(csv, "text/csv;header=present"), AbortSignal.timeout(5000))).toMatchObject({ rows: 3, serialization: "csv" });
    expect(await readResult(response("1\tx\n2\ty\n", "text/tab-separated-values"), AbortSignal.timeout(5000))).toMatchObject({ rows: 2, serialization: "tsv" });
    expect(await readResult(response("{}", "application/json"), AbortSignal.timeout(5000))).toMatchObject({ rows: null, bytes: 2 });
  });
});
