/**
 * Runs `troop serve` as a real child process (bin/troop.js, built by `npm run build`), for
 * tests of signals and crashes.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { API_TOKEN, waitFor } from "./troop.js";

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startServe(opts: { hubUrl: string; adminToken: string; database: string; configFile: string; port: number }): Promise<ServeProcess> {
  const bin = new URL("../../bin/troop.js", import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, "serve", "-c", opts.configFile], {
    env: { PATH: process.env["PATH"], TROOP_HUB_URL: opts.hubUrl, TROOP_HUB_ADMIN_TOKEN: opts.adminToken, TROOP_API_TOKEN: API_TOKEN, TROOP_DATABASE: opts.database, TROOP_PORT: String(opts.port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${opts.port}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${API_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  await waitFor("troop ready", async () => (await fetch(`${url}/readyz`)).status === 200, 20_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${out}`);
  });
  return { child, url, output: () => out, api, exited };
}
