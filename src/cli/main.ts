/**
 * The `troop` command line: `serve`, `validate`, `demo`, and client commands that talk only
 * to the API. Errors are printed as one clear message and exit 1; never a stack trace.
 * @module
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { ConfigError, formatProblem, loadConfigFile, parseYaml, validateDocument } from "../config/load.js";
import { flockConfigSchema } from "../models/flock.js";
import { serve } from "../main.js";
import { VERSION } from "../version.js";
import { CliError, TroopClient } from "./client.js";
import * as cmd from "./commands.js";
import { runDemo } from "./demo.js";
import { notebooksClean } from "./notebooks-clean.js";
import { runNotebooksCommand } from "./run-notebooks.js";

function program(): Command {
  const p = new Command("troop").version(VERSION).description("Flocks of bot users that keep a JupyterHub platform honest").showHelpAfterError();
  p.command("serve")
    .description("Run the service (flocks from the config's autostart and the database)")
    .option("-c, --config <file>", "service config YAML", process.env["TROOP_CONFIG"])
    .action(async (o: { config?: string }) => {
      await serve({ configFile: o.config, handleSignals: true });
    });
  p.command("validate")
    .argument("<file>", "service config (or a single flock spec) to check")
    .description("Check a config without starting anything; exit 1 with located problems")
    .action((file: string) => validate(file));
  p.command("demo")
    .description("Start a local JupyterHub and Troop with an example flock")
    .option("--duration <seconds>", "stop after this many seconds (default: until Ctrl-C)")
    .option("--port <port>", "Troop's port", "8080")
    .action(async (o: { duration?: string; port: string }) => runDemo({ durationS: o.duration ? Number(o.duration) : undefined, port: Number(o.port) }));
  p.command("notebooks")
    .description("Notebook hygiene")
    .command("clean")
    .argument("<paths...>", "notebooks or folders")
    .option("--check", "change nothing; list notebooks with outputs and exit 1 if any")
    .description("Strip outputs, execution counts and volatile metadata in place")
    .action((paths: string[], o: { check?: boolean }) => {
      process.exitCode = notebooksClean(paths, { check: o.check === true });
    });
  runNotebooksCommand(p);
  const flocks = p.command("flocks").description("Manage flocks through the API (TROOP_URL, TROOP_API_TOKEN)");
  const client = () => TroopClient.fromEnv(process.env);
  const print = (s: string) => console.log(s);
  flocks.command("list").action(async () => print(await cmd.listFlocks(client())));
  flocks.command("start").requiredOption("-f, --file <spec>", "flock spec YAML").action(async (o: { file: string }) => print(await cmd.startFlock(client(), o.file)));
  flocks.command("stop").argument("<flock>").action(async (n: string) => print(await cmd.stopFlock(client(), n)));
  flocks.command("pause").argument("<flock>").action(async (n: string) => print(await cmd.pauseFlock(client(), n, true)));
  flocks.command("resume").argument("<flock>").action(async (n: string) => print(await cmd.pauseFlock(client(), n, false)));
  flocks.command("refresh").argument("<flock>").description("Notebook runners: pick up the newest commit at the next notebook").action(async (n: string) => print(await cmd.refreshFlock(client(), n)));
  flocks.command("summary").argument("[flock]").action(async (n?: string) => print(await cmd.summary(client(), n)));
  flocks.command("report").argument("<flock>").requiredOption("-o, --output <dir>", "folder for the reports").action(async (n: string, o: { output: string }) => print(await cmd.report(client(), n, o.output)));
  return p;
}

/** `troop validate`: a service config, or a flock spec when the document has a `business`. */
function validate(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ file, line: null, column: null, path: "(file)", message: `cannot read: ${(err as NodeJS.ErrnoException).code}` }]);
  }
  const doc = parseYaml(text, file);
  if (doc.value && typeof doc.value === "object" && "business" in doc.value) {
    validateDocument(doc, flockConfigSchema);
    console.log(`${file}: valid flock spec`);
    return;
  }
  const { config, warnings } = loadConfigFile(file);
  for (const w of warnings) console.error(`warning: ${formatProblem(w)}`);
  console.log(`${file}: valid (${config.autostart.length} autostart flock${config.autostart.length === 1 ? "" : "s"})`);
}

/** Entry point: run the command; print errors plainly and exit 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(formatProblem(p));
    } else if (err instanceof CliError) {
      console.error(`troop: ${err.message}`);
    } else {
      console.error(`troop: ${(err as Error).message ?? String(err)}`);
    }
    process.exitCode = 1;
  }
}
