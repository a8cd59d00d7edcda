/**
 * Values and expression evaluation for the fake kernel's "Python" (see `python.ts`): a tiny
 * recursive-descent evaluator with Python's int/float semantics (`/` is true division, `//`
 * and `%` floor, int `**` stays exact), strings, variables and a few built-ins.
 * @module
 */

/** A Python value. */
export type Py = { t: "int"; v: bigint } | { t: "float"; v: number } | { t: "str"; v: string } | { t: "none" };

/** A Python exception (traceback lines filled in by the statement runner when empty). */
export class PythonError extends Error {
  constructor(
    readonly ename: string,
    readonly evalue: string,
    readonly traceback: string[] = [],
  ) {
    super(`${ename}: ${evalue}`);
  }
}

/** The code uses something the fake does not understand: the statement becomes a no-op. */
export class Unsupported extends Error {}

/** What expressions can read. */
export interface ExprContext {
  env: Record<string, string>;
  vars: Map<string, Py>;
  node: string;
}

const NONE: Py = { t: "none" };
const int = (v: bigint): Py => ({ t: "int", v });
const float = (v: number): Py => ({ t: "float", v });
const text = (v: string): Py => ({ t: "str", v });

/** Python `str()`. */
export function str(v: Py): string {
  if (v.t === "none") return "None";
  if (v.t === "str") return v.v;
  if (v.t === "int") return v.v.toString();
  if (Number.isNaN(v.v)) return "nan";
  if (!Number.isFinite(v.v)) return v.v > 0 ? "inf" : "-inf";
  return Number.isInteger(v.v) && Math.abs(v.v) < 1e16 ? v.v.toFixed(1) : String(v.v);
}

/** Python `repr()`. */
export function repr(v: Py): string {
  return v.t === "str" ? `'${v.v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'` : str(v);
}

/** A number as a JS number (for `time.sleep`). */
export function toNumber(v: Py): number {
  if (v.t === "int") return Number(v.v);
  if (v.t === "float") return v.v;
  throw new PythonError("TypeError", `'${v.t}' object cannot be interpreted as a number`);
}

const TOKEN = /\s*(?:(\d+\.\d*|\.\d+|\d+)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][\w.]*)|(\*\*|\/\/|[-+*/%()[\],]))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(src);
    if (!m) throw new Unsupported();
    out.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
  }
  return out;
}

/** Evaluate one expression. Throws {@link PythonError} for Python errors, {@link Unsupported} otherwise. */
export function evaluate(src: string, ctx: ExprContext): Py {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const take = (t?: string): string => {
    const tok = toks[pos++];
    if (tok === undefined || (t !== undefined && tok !== t)) throw new Unsupported();
    return tok;
  };
  const expr = (): Py => {
    let left = term();
    while (peek() === "+" || peek() === "-") left = binary(take(), left, term());
    return left;
  };
  const term = (): Py => {
    let left = unary();
    while (["*", "/", "//", "%"].includes(peek() ?? "")) left = binary(take(), left, unary());
    return left;
  };
  const unary = (): Py => {
    if (peek() === "-") return (take(), binary("-", int(0n), unary()));
    if (peek() === "+") return (take(), unary());
    const base = primary();
    return peek() === "**" ? (take(), binary("**", base, unary())) : base;
  };
  const args = (): Py[] => {
    const out: Py[] = [];
    take("(");
    while (peek() !== ")") {
      out.push(expr());
      if (peek() === ",") take(",");
      else break;
    }
    take(")");
    return out;
  };
  const primary = (): Py => {
    const tok = take();
    if (/^\d/.test(tok) || tok.startsWith(".")) return /[.]/.test(tok) ? float(Number(tok)) : int(BigInt(tok));
    if (tok.startsWith('"') || tok.startsWith("'")) return text(JSON.parse(`"${tok.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string);
    if (tok === "(") {
      const v = expr();
      take(")");
      return v;
    }
    if (tok === "None") return NONE;
    if (tok === "os.environ" && peek() === "[") {
      take("[");
      const key = str(expr());
      take("]");
      const v = ctx.env[key];
      if (v === undefined) throw new PythonError("KeyError", `'${key}'`);
      return text(v);
    }
    if (peek() === "(") return call(tok, args());
    const v = ctx.vars.get(tok);
    if (v === undefined) throw new Unsupported();
    return v;
  };
  const call = (name: string, a: Py[]): Py => {
    if (name === "os.environ.get" || name === "os.getenv") {
      const v = ctx.env[str(a[0] ?? NONE)];
      return v === undefined ? (a[1] ?? NONE) : text(v);
    }
    if (/(^|\.)get_node$/.test(name)) return text(ctx.node);
    if (name === "str" && a[0]) return text(str(a[0]));
    if (name === "len" && a[0]?.t === "str") return int(BigInt(a[0].v.length));
    throw new Unsupported();
  };
  const value = expr();
  if (pos !== toks.length) throw new Unsupported();
  return value;
}

function binary(op: string, a: Py, b: Py): Py {
  if (a.t === "str" || b.t === "str") {
    if (op === "+" && a.t === "str" && b.t === "str") return text(a.v + b.v);
    if (op === "*" && a.t === "str" && b.t === "int") return text(a.v.repeat(Math.max(0, Number(b.v))));
    throw new PythonError("TypeError", `unsupported operand type(s) for ${op}`);
  }
  if (a.t === "none" || b.t === "none") throw new PythonError("TypeError", `unsupported operand type(s) for ${op}: 'NoneType'`);
  if (a.t === "int" && b.t === "int" && op !== "/") {
    const x = a.v;
    const y = b.v;
    if ((op === "//" || op === "%") && y === 0n) throw new PythonError("ZeroDivisionError", "integer division or modulo by zero");
    if (op === "+") return int(x + y);
    if (op === "-") return int(x - y);
    if (op === "*") return int(x * y);
    const floorDiv = x / y - ((x % y !== 0n && (x < 0n) !== (y < 0n)) ? 1n : 0n);
    if (op === "//") return int(floorDiv);
    if (op === "%") return int(x - floorDiv * y);
    if (op === "**") return y >= 0n ? int(x ** y) : float(Number(x) ** Number(y));
  }
  const x = Number(a.v);
  const y = Number(b.v);
  if ((op === "/" || op === "//" || op === "%") && y === 0) {
    throw new PythonError("ZeroDivisionError", a.t === "int" && b.t === "int" ? "division by zero" : "float division by zero");
  }
  if (op === "+") return float(x + y);
  if (op === "-") return float(x - y);
  if (op === "*") return float(x * y);
  if (op === "/") return float(x / y);
  if (op === "//") return float(Math.floor(x / y));
  if (op === "%") return float(x - Math.floor(x / y) * y);
  return float(x ** y);
}
