/**
 * Purpose: the check queue, runner and store of the GitHub integration built directly on a
 * SQLite file against the fake GitHub, without a hub: enough for checks that cannot clone
 * (their clone URL leads nowhere) and so complete as "could not run", or give up. Opening a
 * stack again on the same file is a restart of Troop.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Kysely } from "kysely";
import { afterAll } from "vitest";
import { pino } from "pino";
import { GitHubClient } from "../../src/clients/github.js";
import type { HttpClient } from "../../src/clients/http.js";
import type { Platform } from "../../src/clients/hub/types.js";
import { githubConfigSchema } from "../../src/config/github-schema.js";
import type { CheckJob } from "../../src/models/github.js";
import { CheckQueue } from "../../src/services/github/check-queue.js";
import { CheckRunner } from "../../src/services/github/check-runner.js";
import { SecretScrubber } from "../../src/services/secrets.js";
import { SqliteCheckStore } from "../../src/store/github-checks.js";
import { SqliteFlockStore } from "../../src/store/sqlite.js";
import type { FakeGitHub } from "./fake-github.js";
import { waitFor } from "./troop.js";

export interface CheckStack {
  store: SqliteCheckStore;
  runner: CheckRunner;
  queue: CheckQueue;
  logs: string[];
  /** Queue a check of pull request `pr` of acme/nbs (its check run created, as the webhook does). */
  queueCheck(pr: number, o?: { fork?: boolean }): Promise<CheckJob>;
  close(): Promise<void>;
}

/** A temporary SQLite file for one test. */
export const tempDatabase = () => join(mkdtempSync(join(tmpdir(), "troop-checks-")), "troop.sqlite");

/** Build (or rebuild, after a "restart") the check stack on `database`; the queue is started. */
export async function openCheckStack(o: { fake: FakeGitHub; database: string; github?: Record<string, unknown>; store?: (db: Kysely<unknown>) => SqliteCheckStore }): Promise<CheckStack> {
  const github = githubConfigSchema.parse({ enabled: true, appId: o.fake.appId, privateKey: o.fake.privateKey, webhookSecret: "unused-secret", apiUrl: o.fake.url, acceptedOrgs: ["acme"], ...o.github });
  const logs: string[] = [];
  const scrubber = new SecretScrubber();
  const logger = pino({ level: "debug" }, new Writable({ write: (chunk, _enc, cb) => (logs.push(scrubber.scrub(String(chunk))), cb()) }));
  const flocks = await SqliteFlockStore.open(o.database);
  const db = flocks.db as unknown as Kysely<unknown>;
  const store = o.store?.(db) ?? new SqliteCheckStore(db);
  const client = new GitHubClient({ appId: github.appId!, privateKey: github.privateKey!, apiUrl: github.apiUrl, userAgent: "troop-test", onSecret: (s) => scrubber.add(s) });
  const runner = new CheckRunner({
    github,
    checkName: "Troop (testenv)",
    environment: "testenv",
    client,
    store,
    platform: {} as Platform, // never reached: the clone fails first
    http: {} as HttpClient,
    logger,
    scrubber,
    notebooks: { artifacts: null, availableApplications: () => [] },
    checkoutRoot: mkdtempSync(join(tmpdir(), "troop-ci-checkouts-")),
  });
  const queue = new CheckQueue({ store, runner, users: github.users.map((u) => ({ ...u, scopes: github.scopes })), concurrency: github.concurrency, maxAttempts: github.maxAttempts, retryDelayMs: github.retryDelay, logger });
  await queue.start();
  return {
    store,
    runner,
    queue,
    logs,
    async queueCheck(pr, q = {}) {
      o.fake.setPullFiles("acme", "nbs", pr, [{ filename: "a.ipynb", status: "modified" }]);
      const job = await store.insert({ repo: "acme/nbs", clone_url: "file:///nowhere/nbs.git", head_sha: String(pr % 10).repeat(40), head_ref: `pr-${pr}`, base_sha: "a".repeat(40), pr_number: pr, installation_id: 5, fork: q.fork ?? false });
      await runner.createCheckRun(job);
      queue.kick();
      return (await store.get(job.id))!;
    },
    async close() {
      await queue.close(5_000);
      await flocks.close();
    },
  };
}

/**
 * For a test file on one fake GitHub: `open` builds a stack on it (every stack and the fake are
 * closed after the file), `completing` lists the PATCHes that tried to complete a check run, and
 * `completed` waits until a check is completed in the store.
 */
export function useCheckStacks(fake: FakeGitHub) {
  const stacks: CheckStack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.close();
    await fake.close();
  });
  return {
    open: async (o: Omit<Parameters<typeof openCheckStack>[0], "fake">): Promise<CheckStack> => {
      const s = await openCheckStack({ fake, ...o });
      stacks.push(s);
      return s;
    },
    completing: (runId: number) => fake.requests.filter((r) => r.method === "PATCH" && r.path.endsWith(`/check-runs/${runId}`) && (r.body as { status?: string })?.status === "completed"),
    completed: (s: CheckStack, id: number) => waitFor(`check ${id} completed`, async () => ((await s.store.get(id))?.status === "completed" ? s.store.get(id) : null), 20_000, 20),
  };
}
