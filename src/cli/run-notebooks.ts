/**
 * `troop run-notebooks <path-or-git-url> --hub URL`: run every selected notebook of a folder
 * or Git repository once, as one bot user in one lab, for CI and post-deploy self-checks. It
 * is the NotebookRunnerList business run for exactly one pass, so selection (`mobu.yaml`),
 * required applications, time limits and failure reports are those of the flocks. The
 * deployment's applications are `--available-applications` plus, with `--discovery-url` (or
 * TROOP_DISCOVERY_URL), those of the service-discovery document, fetched once. The hub admin
 * token comes only from TROOP_HUB_ADMIN_TOKEN. Exit status: 0 when no notebook failed, 1 when
 * one did, 2 when nothing could run (bad arguments, discovery, clone or selection failure).
 * @module
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { CLONE_TIMEOUT_MS } from "../businesses/notebook-runner/business.js";
import { selectNotebooks } from "../businesses/notebook-runner/selection.js";
import type { LineLogger } from "../businesses/types.js";
import { DiscoveryClient } from "../clients/discovery.js";
import { headCommit, redactUrl } from "../clients/git.js";
import { HttpClient } from "../clients/http.js";
import { createPlatform } from "../clients/hub/index.js";
import { discoveryConfigSchema } from "../config/discovery-schema.js";
import { duration } from "../config/duration.js";
import { formatPath } from "../config/issues.js";
import type { Execution } from "../models/execution.js";
import { NotebookPass } from "../services/notebook-pass.js";
import { SecretScrubber } from "../services/secrets.js";
import { scrubbedSink, type ArtifactSink } from "../store/artifacts.js";
import { LocalFolderSource, RepoCache, type RepoLease, type RepoSource } from "../store/repo-cache.js";
import { VERSION } from "../version.js";
import { junitXml } from "./junit.js";
import { ProgressReporter, resultTable, type Output } from "./progress.js";

/** The command's input (commander's options plus the positional source), validated. */
export const runNotebooksArgsSchema = z.strictObject({
  source: z.string().min(1).meta({ description: "A folder of notebooks or the URL of a Git repository" }),
  hub: z.url().optional(),
  hubType: z.enum(["jupyterhub", "nublado"]).default("jupyterhub"),
  ref: z.string().min(1).default("HEAD"),
  user: z.string().regex(/^bot-[A-Za-z0-9._-]+$/, "a bot username begins with bot-").default("bot-troop-check"),
  availableApplications: z.string().default("").transform((s) => s.split(",").map((a) => a.trim()).filter(Boolean)),
  discoveryUrl: discoveryConfigSchema.shape.url,
  cellTimeout: duration("Limit for one cell").default(300_000),
  notebookTimeout: duration("Limit for one notebook").default(3_600_000),
  junit: z.string().optional(),
  outputDir: z.string().optional(),
  verbose: z.boolean().default(false),
});

/** Add `troop run-notebooks` to the command line program. */
export function runNotebooksCommand(program: Command): void {
  program
    .command("run-notebooks")
    .argument("<path-or-git-url>", "a folder of notebooks, or a Git repository URL")
    .description("Run every selected notebook once on a hub as one bot user (admin token from TROOP_HUB_ADMIN_TOKEN); exit 0 only if none failed")
    .option("--hub <url>", "base URL of the hub (default: TROOP_HUB_URL)")
    .option("--hub-type <type>", "jupyterhub or nublado", "jupyterhub")
    .option("--ref <ref>", "branch, tag or commit of a Git URL (default: the remote's HEAD)")
    .option("--user <name>", "bot user to run as", "bot-troop-check")
    .option("--available-applications <list>", "comma-separated applications this deployment has (for required_applications)")
    .option("--discovery-url <url>", "service-discovery document whose applications the deployment also has (default: TROOP_DISCOVERY_URL)")
    .option("--cell-timeout <duration>", "limit for one cell, e.g. 60s", "5m")
    .option("--notebook-timeout <duration>", "limit for one notebook, e.g. 15m", "1h")
    .option("--junit <file>", "write a JUnit XML report")
    .option("--output-dir <dir>", "write the executed notebooks here")
    .option("--verbose", "print the bot's log on stderr")
    .action(async (source: string, o: Record<string, unknown>) => {
      process.exitCode = await runNotebooks({ source, ...o }, { env: process.env, out: process.stdout, err: process.stderr });
    });
}

/** Where the command writes. */
export interface RunNotebooksIo {
  env: NodeJS.ProcessEnv;
  out: Output;
  err: Output;
}

/** Run the command; resolves with the exit status. */
export async function runNotebooks(raw: Record<string, unknown>, io: RunNotebooksIo): Promise<number> {
  const fail = (message: string) => (io.err.write(`troop run-notebooks: ${message}\n`), 2);
  const fromEnv = raw["discoveryUrl"] === undefined && Boolean(io.env["TROOP_DISCOVERY_URL"]); // set and not empty
  const parsed = runNotebooksArgsSchema.safeParse(fromEnv ? { ...raw, discoveryUrl: io.env["TROOP_DISCOVERY_URL"] } : raw);
  if (!parsed.success) return fail(parsed.error.issues.map((i) => `${fromEnv && i.path[0] === "discoveryUrl" ? "environment TROOP_DISCOVERY_URL" : formatPath(i.path)}: ${i.message}`).join("; "));
  const args = parsed.data;
  const adminToken = io.env["TROOP_HUB_ADMIN_TOKEN"];
  const hubUrl = args.hub ?? io.env["TROOP_HUB_URL"];
  if (!adminToken) return fail("set TROOP_HUB_ADMIN_TOKEN to the hub's admin token (it is never read from the command line)");
  if (!hubUrl) return fail("give --hub URL (or set TROOP_HUB_URL)");

  const scrubber = new SecretScrubber();
  scrubber.add(adminToken);
  const http = new HttpClient(`troop/${VERSION}`);
  let applications = args.availableApplications;
  if (args.discoveryUrl) {
    const discovered = await discoverApplications(http, args.discoveryUrl);
    if (typeof discovered === "string") return fail(scrubber.scrub(discovered));
    applications = [...new Set([...applications, ...discovered.applications])].sort();
    io.out.write(`${discovered.applications.length} application${discovered.applications.length === 1 ? "" : "s"} from ${discovered.shownUrl}: ${discovered.applications.join(", ") || "(none)"}\n`);
  }
  const scratch = mkdtempSync(join(tmpdir(), "troop-run-notebooks-"));
  const { source, url, ref } = repoSource(args.source, args.ref, scratch);
  let lease: RepoLease | null = null;
  try {
    let selection: string[];
    try {
      lease = await source.acquire(url, ref, AbortSignal.timeout(CLONE_TIMEOUT_MS));
      selection = await selectNotebooks(lease.dir, { collection_rules: [], exclude_dirs: [] });
    } catch (err) {
      return fail(scrubber.scrub((err as Error).message));
    }
    io.out.write(`${selection.length} notebook${selection.length === 1 ? "" : "s"} selected in ${redactUrl(url)}${lease.commit ? ` (commit ${lease.commit.slice(0, 12)})` : ""}; running them as ${args.user} on ${hubUrl}\n`);
    const records = await runAll({ args, io, scrubber, http, applications, source, url, ref, hubUrl, adminToken, total: selection.length });
    const rows = selection.map((path) => ({ path, record: records.get(path) })).filter((r): r is { path: string; record: Execution } => r.record !== undefined);
    return report(rows, selection.length, { args, io, scrubber, url: redactUrl(url), commit: lease.commit });
  } finally {
    lease?.release();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The applications of the discovery document at `url`, fetched once through the service's
 * client (same schema, same time limit), or why it could not be had.
 */
async function discoverApplications(http: HttpClient, url: string): Promise<{ applications: string[]; shownUrl: string } | string> {
  const { timeout } = discoveryConfigSchema.parse({});
  const client = new DiscoveryClient(http, url);
  try {
    const doc = await client.fetch(AbortSignal.timeout(timeout));
    return { applications: doc.applications, shownUrl: client.shownUrl };
  } catch (err) {
    const message = (err as Error).message; // the client's messages never show the query string or credentials
    return `service discovery: ${message.includes(client.shownUrl) ? message : `${client.shownUrl}: ${message}`}`;
  }
}

function repoSource(arg: string, ref: string, scratch: string): { source: RepoSource; url: string; ref: string } {
  let isDir = false;
  try {
    isDir = statSync(arg).isDirectory();
  } catch {
    // not a local path: a Git URL
  }
  if (isDir) {
    const dir = resolve(arg);
    return { source: new LocalFolderSource(dir, () => headCommit(dir)), url: dir, ref: "(working tree)" };
  }
  return { source: new RepoCache(join(scratch, "repos")), url: arg, ref };
}

async function runAll(c: {
  args: z.output<typeof runNotebooksArgsSchema>;
  io: RunNotebooksIo;
  scrubber: SecretScrubber;
  http: HttpClient;
  applications: string[];
  source: RepoSource;
  url: string;
  ref: string;
  hubUrl: string;
  adminToken: string;
  total: number;
}): Promise<Map<string, Execution>> {
  const { args, io, scrubber, http } = c;
  const platform = createPlatform({ hub: { type: args.hubType, url: c.hubUrl, adminToken: c.adminToken, tokenLifetime: 3_600_000 }, http, onSecret: (s) => scrubber.add(s) });
  const line = (level: string) => (msg: string) => {
    if (args.verbose) io.err.write(`${new Date().toISOString()} ${level} ${msg}\n`); // lines come scrubbed by the pass
  };
  const log: LineLogger = { debug: line("DEBUG"), info: line("INFO"), warn: line("WARN"), error: line("ERROR") };
  let progress: ProgressReporter | null = null;
  const business = new NotebookPass({
    platform,
    http,
    user: { username: args.user, groups: [], scopes: ["exec:notebook"] },
    url: c.url,
    ref: c.ref,
    cellTimeoutMs: args.cellTimeout,
    notebookTimeoutMs: args.notebookTimeout,
    notebooks: { repos: c.source, artifacts: args.outputDir ? scrubbedSink(outputDirSink(resolve(args.outputDir)), (t) => scrubber.scrubOutput(t)) : null, availableApplications: c.applications },
    log,
    scrub: (t) => scrubber.scrubOutput(t),
    onResult: (path, record) => progress?.result(path, record),
  });
  progress = new ProgressReporter(io.out, c.total, () => business.progress);
  const interrupt = () => void business.stop();
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    await business.run(c.total);
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    progress.stop();
  }
  return business.records;
}

/** Executed notebooks written under the output folder at their repository-relative paths. */
function outputDirSink(dir: string): ArtifactSink {
  return {
    async save(content, meta) {
      const target = resolve(dir, meta.name);
      if (!target.startsWith(`${dir}/`)) throw new Error(`refusing to write outside ${dir}: ${meta.name}`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      return null;
    },
  };
}

function report(rows: { path: string; record: Execution }[], total: number, c: { args: z.output<typeof runNotebooksArgsSchema>; io: RunNotebooksIo; scrubber: SecretScrubber; url: string; commit: string | null }): number {
  const count = (r: Execution["result"]) => rows.filter((x) => x.record.result === r).length;
  const failed = count("failure");
  if (rows.length) c.io.out.write(`\n${resultTable(rows)}\n\n`);
  const missing = total - rows.length;
  c.io.out.write(`${count("success")} passed, ${failed} failed, ${count("skipped")} skipped${missing ? `, ${missing} not run (interrupted)` : ""}\n`);
  if (c.args.junit) {
    const xml = junitXml(rows, { name: c.url, hostname: hostname(), timestamp: new Date().toISOString().slice(0, 19), source: c.url, commit: c.commit });
    writeFileSync(c.args.junit, c.scrubber.scrub(xml));
    c.io.out.write(`JUnit report: ${c.args.junit}\n`);
  }
  if (c.args.outputDir) c.io.out.write(`executed notebooks: ${resolve(c.args.outputDir)}\n`);
  return failed > 0 || missing > 0 ? 1 : 0;
}
