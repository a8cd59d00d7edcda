/**
 * Redaction by pattern of secrets Troop never saw: the values of environment-variable-like
 * assignments whose name looks secret, as a notebook prints them with `!env`, `%env` or
 * `print(os.environ)` — the lab's own `JUPYTERHUB_API_TOKEN`, minted by the hub at spawn, is
 * the case in point. The name is kept and the value replaced with `[REDACTED]`:
 *
 * - `NAME=value` (`env`, `export -p`, also `NAME="value"`),
 * - `'NAME': 'value'` and `"NAME": "value"` (a Python dict or `os.environ` repr, JSON),
 * - `NAME: value` (YAML-like listings).
 *
 * A name is a run of `A-Z`, `0-9` and `_` starting with a capital letter and not preceded by a
 * letter, digit or `_` other than that of a JSON escape (`\n`, `\r`, `\t`: in serialized JSON,
 * `env` output is one string of lines) — lower-case names are ordinary words, not environment
 * variables; it
 * looks secret if it contains `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD` or `API_KEY`, or ends with
 * `_KEY`. A quoted value ends at its closing quote, an unquoted one at the end of the line or a
 * quote; both end at a backslash, so that the texts scrubbed as serialized JSON (records,
 * `.ipynb` files) stay valid JSON and a JSON escape such as `\n` ends the value.
 *
 * Linear in the text: candidates are found by one RegExp whose only ambiguity is where a name
 * ends (each run of name characters is tried once, from its start), and values are measured by
 * a plain scan that is never repeated.
 * @module
 */

const REDACTED = "[REDACTED]";
/** A name, its separator (`=`, or `:` with an optional closing quote and blanks), an optional opening quote. */
const CANDIDATE = /(?:(?<![A-Za-z0-9_])|(?<=\\[nrtbf]))([A-Z][A-Z0-9_]*)(?:=|\\?["']?[ \t]*:[ \t]*)(\\?["'])?/g;
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|_KEY$/;
/** Every secret name holds one of these: a text without any is returned at once, with no allocation. */
const SECRET_WORD = /TOKEN|SECRET|PASSW|KEY/;

/** Whether an environment-variable-like name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `text` with the value of every secret-looking assignment replaced with `[REDACTED]`. */
export function redactSecretAssignments(text: string): string {
  if (!SECRET_WORD.test(text)) return text;
  const candidates = new RegExp(CANDIDATE);
  let out = "";
  let last = 0;
  for (let m = candidates.exec(text); m; m = candidates.exec(text)) {
    if (!isSecretName(m[1]!)) continue;
    const start = candidates.lastIndex;
    const end = valueEnd(text, start, m[2]?.at(-1));
    if (end === start) continue;
    out += text.slice(last, start) + REDACTED;
    last = end;
    candidates.lastIndex = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Where a value starting at `from` ends: see the module comment. */
function valueEnd(text: string, from: number, quote: string | undefined): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" || c === "\n" || c === "\r") break;
    if (quote ? c === quote : c === '"' || c === "'") break;
  }
  return i;
}
