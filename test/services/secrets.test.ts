/**
 * The secret scrubber: every known secret redacted wherever it is, the longest where two start
 * at one place, short values ignored; and, differentially, the same output as a RegExp
 * alternation of the secrets (longest first) on random texts with embedded secrets.
 */
import { describe, expect, it } from "vitest";
import { SecretScrubber } from "../../src/services/secrets.js";

/** The reference: one RegExp alternation, longest secret first (leftmost, then longest, match). */
function reference(secrets: string[]): (text: string) => string {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const json = (s: string) => JSON.stringify(s).slice(1, -1); // also known as they appear in JSON, once and twice serialized
  const sorted = [...new Set([...secrets, ...secrets.map(json), ...secrets.map((s) => json(json(s)))])].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(sorted.map(escape).join("|"), "g");
  return (text) => text.replace(pattern, "[REDACTED]");
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("SecretScrubber", () => {
  it("redacts every occurrence of every secret, at the start, the middle and the end", () => {
    const s = new SecretScrubber();
    s.add("abcdefgh12345678");
    s.add("https://hooks.example.com/services/T0/B0/xyz");
    expect(s.scrub("abcdefgh12345678")).toBe("[REDACTED]");
    expect(s.scrub("token abcdefgh12345678, again abcdefgh12345678abcdefgh12345678.")).toBe("token [REDACTED], again [REDACTED][REDACTED].");
    expect(s.scrub('{"url":"https://hooks.example.com/services/T0/B0/xyz"}')).toBe('{"url":"[REDACTED]"}');
    expect(s.scrub("nothing secret here, not even abcdefgh1234567")).toBe("nothing secret here, not even abcdefgh1234567");
  });

  it("ignores empty and short values and returns short texts unchanged", () => {
    const s = new SecretScrubber();
    s.add(undefined);
    s.add(null);
    s.add("");
    s.add("short");
    expect(s.scrub("short")).toBe("short");
    s.add("longenough");
    expect(s.scrub("abc")).toBe("abc");
    expect(s.scrub("xlongenoughx")).toBe("x[REDACTED]x");
  });

  it("redacts a secret with newlines, quotes or backslashes also as it appears inside JSON, once and twice serialized", () => {
    const s = new SecretScrubber();
    const pem = "-----BEGIN KEY-----\nMIIEabc\"def\\ghi\n-----END KEY-----";
    s.add(pem);
    expect(s.scrub(`raw ${pem} end`)).toBe("raw [REDACTED] end");
    expect(s.scrub(JSON.stringify({ message: `key: ${pem}` }))).toBe('{"message":"key: [REDACTED]"}');
    expect(s.scrub(JSON.stringify({ raw: JSON.stringify({ message: pem }) }))).toBe('{"raw":"{\\"message\\":\\"[REDACTED]\\"}"}');
  });

  it("redacts the longest of two secrets that start at the same place", () => {
    const s = new SecretScrubber();
    s.add("secret-12");
    s.add("secret-12345678");
    expect(s.scrub("a secret-12345678 b secret-12 c")).toBe("a [REDACTED] b [REDACTED] c");
  });

  it("handles non-ASCII text and secrets", () => {
    const s = new SecretScrubber();
    s.add("pässwörd-😀-token");
    expect(s.scrub("→ pässwörd-😀-token ←")).toBe("→ [REDACTED] ←");
  });

  it("agrees with a RegExp alternation on random texts, with 2 and 3,000 secrets", () => {
    const alphabet = "abcdefABCDEF0123456789-_.*+?^${}()|[]\\/ é😀";
    const chars = [...alphabet];
    const rand = rng(42);
    const pick = (n: number) => Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]).join("");
    for (const count of [2, 3000]) {
      const secrets = Array.from({ length: count }, () => pick(8 + Math.floor(rand() * 40)));
      // a few that share a prefix with another, to exercise "longest first"
      for (let i = 0; i < 20; i++) secrets.push(secrets[i]!.slice(0, 8 + (i % 5)) + pick(3));
      const s = new SecretScrubber();
      for (const secret of secrets) s.add(secret);
      const expected = reference(secrets);
      for (let t = 0; t < 2000; t++) {
        let text = "";
        const parts = Math.floor(rand() * 6);
        for (let p = 0; p < parts; p++) text += pick(Math.floor(rand() * 60)) + (rand() < 0.7 ? secrets[Math.floor(rand() * secrets.length)] : "");
        expect(s.scrub(text)).toBe(expected(text));
      }
    }
  });

  it("costs the same per text with 10,000 secrets as with 2 (no RegExp recompiled per secret)", () => {
    const s = new SecretScrubber();
    for (let i = 0; i < 10_000; i++) s.add(`${i.toString(16).padStart(8, "0")}${"f".repeat(24)}`);
    const text = `{"flock":"f","message":"${"x".repeat(3000)}","token":"00000abc${"f".repeat(24)}"}`;
    expect(s.scrub(text)).toContain('"token":"[REDACTED]"');
  });
});
