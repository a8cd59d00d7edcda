/**
 * Python that fails on a schedule, for tests against the real hub: each run increments a
 * counter file in the lab's home directory and raises `ValueError("scheduled failure N")`
 * when N is a multiple of `every`. The file name carries a token so runs never share a count.
 * @module
 */
import { randomBytes } from "node:crypto";

export interface Schedule {
  /** The code to put in `options.code`. */
  code: string;
  /** The counter file's name in each bot's home directory. */
  file: string;
  /** Whether run number `n` (1-based) fails. */
  fails(n: number): boolean;
}

export function scheduledFailure(every: number): Schedule {
  const file = `troop-schedule-${randomBytes(4).toString("hex")}`;
  const code = [
    "import os",
    `p = os.path.join(os.path.expanduser("~"), "${file}")`,
    "n = int(open(p).read()) + 1 if os.path.exists(p) else 1",
    'open(p, "w").write(str(n))',
    `if n % ${every} == 0:`,
    '    raise ValueError(f"scheduled failure {n}")',
    'print(n, end="")',
  ].join("\n");
  return { code, file, fails: (n) => n % every === 0 };
}
