/**
 * `troop demo`: start the project's local JupyterHub (scripts/hub/start.sh), then Troop with
 * the example flock in examples/demo.yaml and SQLite under .state/, and print what the flock
 * does every few seconds. Ctrl-C (or `--duration`) stops Troop and the hub.
 * @module
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serve } from "../main.js";
import { formatSummaries } from "./commands.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

async function hub(action: "start" | "stop", stateDir: string): Promise<Record<string, string>> {
  const script = `${root}scripts/hub/${action}.sh`;
  const { stdout } = await run("bash", action === "start" ? [script] : [script, stateDir], { env: { ...process.env, JH_STATE_DIR: stateDir }, maxBuffer: 1 << 20 });
  return Object.fromEntries(stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

export async function runDemo(opts: { durationS?: number; port: number }): Promise<void> {
  const stateDir = `${root}.state/demo-hub`;
  console.log("starting a local JupyterHub on 127.0.0.1 …");
  const jh = await hub("start", stateDir);
  const apiToken = randomBytes(24).toString("hex");
  const container = await serve({
    configFile: `${root}examples/demo.yaml`,
    env: { ...process.env, TROOP_HUB_URL: jh["JH_URL"], TROOP_HUB_ADMIN_TOKEN: jh["JH_ADMIN_TOKEN"], TROOP_API_TOKEN: apiToken, TROOP_PORT: String(opts.port), TROOP_DATABASE: `${root}.state/demo.sqlite` },
  }).catch(async (err: unknown) => {
    await hub("stop", stateDir).catch(() => undefined);
    throw err;
  });
  const base = `http://127.0.0.1:${opts.port}`;
  console.log(`hub:   ${jh["JH_URL"]}`);
  console.log(`troop: ${base}/docs   (API token for this run: export TROOP_URL=${base} TROOP_API_TOKEN=${apiToken})`);
  console.log("every 5 s: flock counters and what each monkey is doing. Ctrl-C stops everything.\n");
  const timer = setInterval(() => {
    console.log(formatSummaries(container.manager.summaries()));
    for (const name of container.manager.listFlocks()) {
      for (const m of container.manager.getFlock(name).listMonkeys()) {
        const d = m.data();
        const last = d.last_execution ? `${d.last_execution.result} in ${d.last_execution.duration_ms} ms${d.last_execution.error ? ` (${d.last_execution.error.phase}: ${d.last_execution.error.message})` : ""}` : "no iteration yet";
        console.log(`  ${name}/${d.name}: ${d.state}${d.business.phase ? ` [${d.business.phase}]` : ""}, last: ${last}`);
      }
    }
    console.log("");
  }, 5000);
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const stop = () => done();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (opts.durationS) setTimeout(stop, opts.durationS * 1000).unref();
  await finished;
  clearInterval(timer);
  const summaries = container.manager.summaries();
  console.log("stopping Troop (labs deleted, tokens revoked) and the hub …");
  await container.close();
  await hub("stop", stateDir);
  console.log(formatSummaries(summaries));
  if (summaries.every((s) => s.success_count === 0)) process.exitCode = 1;
}
