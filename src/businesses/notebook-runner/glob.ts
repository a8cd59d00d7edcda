/**
 * Glob patterns as Python's pathlib (3.13) reads them, for `collection_rules`: a pattern is
 * relative to the repository root; a `**` segment matches any number of folders (none
 * included) and, at the end, everything below; `*` and `?` never cross a `/`; `[...]` is a
 * character class (`[!...]` negated). Matching is case-sensitive and includes dot files.
 * @module
 */

/** Compile a pattern to a regular expression over repository-relative POSIX paths. */
export function globToRegExp(pattern: string): RegExp {
  const segments = pattern.split("/").filter((s) => s !== "" && s !== ".");
  let out = "";
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "**") {
      out += last ? ".*" : "(?:[^/]+/)*";
      return;
    }
    out += translateSegment(segment) + (last ? "" : "/");
  });
  return new RegExp(`^${out}$`);
}

/** True when `path` matches any of `patterns`. */
export function matchesAny(path: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((p) => p.test(path));
}

function translateSegment(segment: string): string {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") {
      while (segment[i + 1] === "*") i++; // `**` inside a segment is a plain `*`
      out += "[^/]*";
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0) {
        out += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else {
      out += c.replace(/[.+^${}()|\\]/g, "\\$&");
    }
  }
  return out;
}
