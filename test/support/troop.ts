/**
 * Test harness: a Troop built through the real composition root (in-process), with a temp
 * SQLite file, a random API token and log lines captured for inspection; plus polling helpers.
 * @module
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfigText } from "../../src/config/load.js";
import { buildContainer, type Container } from "../../src/container.js";
import { SecretScrubber } from "../../src/services/secrets.js";

/** A scrubber that also remembers every secret, so tests can search output for them. */
export class RecordingScrubber extends SecretScrubber {
  readonly seen: string[] = [];
  override add(secret: string | undefined | null): void {
    if (secret) this.seen.push(secret);
    super.add(secret);
  }
}

export interface TestTroop {
  container: Container;
  scrubber: RecordingScrubber;
  token: string;
  logs: string[];
  /** Every raw response body the harness received. */
  responses: string[];
  /** Call the API in-process; returns status and parsed body (text for non-JSON). */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; raw: string }>;
  close(): Promise<void>;
}

export const API_TOKEN = "test-api-token-canary-7d41c0ffee";

export async function startTroop(opts: { hubUrl: string; adminToken: string; hubType?: "jupyterhub" | "nublado"; yaml?: string; database?: string; startup?: boolean; env?: Record<string, string> }): Promise<TestTroop> {
  const database = opts.database ?? join(mkdtempSync(join(tmpdir(), "troop-test-")), "troop.sqlite");
  const env = { TROOP_HUB_URL: opts.hubUrl, TROOP_HUB_ADMIN_TOKEN: opts.adminToken, TROOP_API_TOKEN: API_TOKEN, TROOP_DATABASE: database, TROOP_HUB_TYPE: opts.hubType ?? "jupyterhub", ...opts.env };
  const { config } = loadConfigText(opts.yaml ?? "logLevel: debug\nshutdownTimeout: 60s\n", "test.yaml", env);
  const logs: string[] = [];
  const responses: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const scrubber = new RecordingScrubber();
  const container = await buildContainer(config, { logDestination: sink, scrubber });
  if (opts.startup !== false) await container.manager.startup();
  return {
    container,
    scrubber,
    token: API_TOKEN,
    logs,
    responses,
    async api(method, path, body, headers = {}) {
      const res = await container.server.inject({
        method: method as "GET",
        url: path,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      responses.push(res.body);
      let parsed: unknown = res.body;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        // text body
      }
      return { status: res.statusCode, body: parsed, raw: res.body };
    },
    async close() {
      await container.close();
    },
  };
}

/** Poll `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** A flock body for NubladoPythonLoop with fast pacing. */
export function pythonFlock(name: string, opts: { count?: number; prefix?: string; code?: string; restart?: boolean; options?: Record<string, unknown> } = {}) {
  return {
    name,
    count: opts.count ?? 1,
    user_spec: { username_prefix: opts.prefix ?? `bot-${name}` },
    scopes: ["exec:notebook"],
    business: {
      type: "NubladoPythonLoop",
      restart: opts.restart ?? false,
      options: {
        code: opts.code ?? "print(1+1)",
        max_executions: 1,
        idle_time: "0.2s",
        error_idle_time: "0.5s",
        execution_idle_time: 0,
        spawn_settle_time: 0,
        delete_lab: false,
        jupyter_timeout: "20s",
        spawn_timeout: "60s",
        ...opts.options,
      },
    },
  };
}
