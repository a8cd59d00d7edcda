/**
 * The fake kernel's "Python": just enough to test bots. Statements are split on newlines and
 * top-level `;`. Understood: `import`/`from` (ignored), `name = expr`, `print(expr, …, sep=,
 * end=)`, `time.sleep(N)` (interruptible), `raise Name("msg")`, and a final bare expression
 * (becomes an `execute_result`). Expressions: int (arbitrary size) and float arithmetic
 * (`+ - * / // % **`, parentheses), strings, variables, `os.environ[...]`,
 * `os.environ.get(...)`, `os.getenv(...)`, `get_node()`, `str()`, `len()`. Anything else runs
 * as a no-op. Errors carry IPython-style tracebacks with ANSI colours.
 * @module
 */
import { evaluate, type ExprContext, PythonError, repr, str, toNumber, Unsupported } from "./python-expr.js";

export { PythonError, type Py } from "./python-expr.js";

/** What code can reach: environment, variables, node name, the cell number and a way to sleep. */
export interface PythonContext extends ExprContext {
  cell: number;
  /** Resolves after `seconds`, or rejects with a KeyboardInterrupt PythonError. */
  sleep(seconds: number): Promise<void>;
}

const RED = "\u001b[0;31m";
const GREEN = "\u001b[0;32m";
const RESET = "\u001b[0m";

/** IPython-like coloured traceback lines. */
export function traceback(ename: string, evalue: string, cell: number, line: number, source: string): string[] {
  return [
    `${RED}---------------------------------------------------------------------------${RESET}`,
    `${RED}${ename}${RESET}                         Traceback (most recent call last)`,
    `Cell ${GREEN}In[${cell}], line ${line}${RESET}\n${GREEN}----> ${line}${RESET} ${source}`,
    `${RED}${ename}${RESET}: ${evalue}`,
  ];
}

/** Split into statements (with 1-based line numbers) on newlines and top-level `;`. */
function statements(code: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  code.split("\n").forEach((raw, i) => {
    let depth = 0;
    let quote: string | null = null;
    let start = 0;
    for (let j = 0; j <= raw.length; j++) {
      const c = raw[j];
      if (quote) {
        if (c === "\\") j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "#" || c === undefined || (c === ";" && depth === 0)) {
        const text = raw.slice(start, j).trim();
        if (text) out.push({ text, line: i + 1 });
        if (c !== ";") break;
        start = j + 1;
      } else if ("([{".includes(c)) depth++;
      else if (")]}".includes(c)) depth--;
    }
  });
  return out;
}

/** Run a cell: `emit` gets stdout text; returns the repr of a final bare expression, if any. */
export async function runPython(code: string, ctx: PythonContext, emit: (text: string) => void): Promise<string | null> {
  const stmts = statements(code);
  let result: string | null = null;
  for (const [i, { text, line }] of stmts.entries()) {
    const fail = (ename: string, evalue: string): never => {
      throw new PythonError(ename, evalue, traceback(ename, evalue, ctx.cell, line, text));
    };
    try {
      result = null;
      if (/\b1\s*\/\s*0\b/.test(text)) fail("ZeroDivisionError", "division by zero");
      if (/^(import|from)\s/.test(text)) continue;
      const sleep = /^time\.sleep\((.*)\)$/.exec(text);
      if (sleep) {
        await ctx.sleep(toNumber(evaluate(sleep[1] ?? "", ctx)));
        continue;
      }
      const raise = /^raise\s+([A-Za-z_]\w*)(?:\((.*)\))?$/.exec(text);
      if (raise) fail(raise[1] ?? "Exception", raise[2] ? str(evaluate(raise[2], ctx)) : "");
      const assign = /^([A-Za-z_]\w*)\s*=(?!=)\s*(.+)$/.exec(text);
      if (assign) {
        ctx.vars.set(assign[1] ?? "", evaluate(assign[2] ?? "", ctx));
        continue;
      }
      const print = /^print\((.*)\)$/.exec(text);
      if (print) {
        emit(printText(print[1] ?? "", ctx));
        continue;
      }
      const value = evaluate(text, ctx);
      if (i === stmts.length - 1 && value.t !== "none") result = repr(value);
    } catch (err) {
      if (err instanceof PythonError) throw err.traceback.length ? err : new PythonError(err.ename, err.evalue, traceback(err.ename, err.evalue, ctx.cell, line, text));
      if (!(err instanceof Unsupported)) throw err;
    }
  }
  return result;
}

function printText(args: string, ctx: PythonContext): string {
  let sep = " ";
  let end = "\n";
  const values: string[] = [];
  for (const arg of splitArgs(args)) {
    const kw = /^(sep|end)\s*=(?!=)\s*(.*)$/s.exec(arg);
    if (kw) {
      const v = evaluate(kw[2] ?? "", ctx);
      if (kw[1] === "sep") sep = str(v);
      else end = str(v);
    } else values.push(str(evaluate(arg, ctx)));
  }
  return values.join(sep) + end;
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c !== undefined && "([{".includes(c)) depth++;
    else if (c !== undefined && ")]}".includes(c)) depth--;
    else if (c === undefined || (c === "," && depth === 0)) {
      const arg = s.slice(start, i).trim();
      if (arg) out.push(arg);
      start = i + 1;
    }
  }
  return out;
}
