/**
 * The compiled `troop` command (bin/troop.js, which loads dist/) run as a child process with a
 * minimal environment, on a pipe or on a pseudo-terminal (util-linux `script`). Never throws
 * on a non-zero exit: the exit code, stdout and stderr are the result.
 * @module
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const bin = new URL("../../bin/troop.js", import.meta.url).pathname;

/** What one run of the command gave. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `troop <args>` with PATH, HOME and `env` only; `pty` runs it on a pseudo-terminal. */
export async function troop(args: string[], env: Record<string, string> = {}, opts: { pty?: boolean } = {}): Promise<CliResult> {
  const fullEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", ...env };
  const [cmd, argv] = opts.pty ? ["script", ["-qfec", [process.execPath, bin, ...args].map((a) => `'${a}'`).join(" "), "/dev/null"]] : [process.execPath, [bin, ...args]];
  try {
    const { stdout, stderr } = await run(cmd as string, argv as string[], { env: fullEnv, timeout: 240_000, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
