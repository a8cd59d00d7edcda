/**
 * Client commands (`troop flocks …`): each maps to one API call.
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseYaml, validateDocument } from "../config/load.js";
import { flockConfigSchema } from "../models/flock.js";
import type { FlockData, FlockSummary, MonkeyData } from "../models/status.js";
import { CliError, type TroopClient } from "./client.js";

const enc = encodeURIComponent;

export async function listFlocks(client: TroopClient): Promise<string> {
  const names = await client.call<string[]>("GET", "/flocks");
  return names.length ? names.join("\n") : "(no flocks)";
}

/** Validate the spec locally (located errors), then PUT it. */
export async function startFlock(client: TroopClient, file: string): Promise<string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const doc = parseYaml(text, file);
  validateDocument(doc, flockConfigSchema);
  const flock = await client.call<FlockData>("PUT", "/flocks", doc.value);
  return `started flock ${flock.name} with ${flock.monkeys.length} monkeys`;
}

export async function stopFlock(client: TroopClient, name: string): Promise<string> {
  await client.call("DELETE", `/flocks/${enc(name)}`);
  return `stopped flock ${name}`;
}

export async function pauseFlock(client: TroopClient, name: string, pause: boolean): Promise<string> {
  await client.call("POST", `/flocks/${enc(name)}/${pause ? "pause" : "resume"}`);
  return `${pause ? "paused" : "resumed"} flock ${name}`;
}

/** Notebook runners pick up the newest commit at their next notebook boundary. */
export async function refreshFlock(client: TroopClient, name: string): Promise<string> {
  const r = await client.call<{ flock: string; monkeys: number }>("POST", `/flocks/${enc(name)}/refresh`);
  return `refresh requested for flock ${name}: ${r.monkeys} monkey${r.monkeys === 1 ? "" : "s"} will pick up the newest commit at their next notebook`;
}

export async function summary(client: TroopClient, name?: string): Promise<string> {
  const flocks = name ? [await client.call<FlockSummary>("GET", `/flocks/${enc(name)}/summary`)] : (await client.call<{ flocks: FlockSummary[] }>("GET", "/summary")).flocks;
  if (flocks.length === 0) return "(no flocks)";
  return formatSummaries(flocks);
}

/** A table of flock summaries. */
export function formatSummaries(flocks: FlockSummary[]): string {
  const rows = flocks.map((f) => {
    const total = f.success_count + f.failure_count;
    const rate = total ? `${((100 * f.success_count) / total).toFixed(1)}%` : "-";
    return [f.name, f.business, String(f.monkey_count), String(f.success_count), String(f.failure_count), rate, f.paused ? "paused" : "running"];
  });
  const head = ["FLOCK", "BUSINESS", "MONKEYS", "SUCCESS", "FAILURE", "RATE", "STATE"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/** Write `<user>_log.txt` and `<user>_stats.json` per monkey (as monkeyflocker does). */
export async function report(client: TroopClient, name: string, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const monkeys = await client.call<string[]>("GET", `/flocks/${enc(name)}/monkeys`);
  for (const m of monkeys) {
    const data = await client.call<MonkeyData>("GET", `/flocks/${enc(name)}/monkeys/${enc(m)}`);
    const log = await client.call<string>("GET", `/flocks/${enc(name)}/monkeys/${enc(m)}/log`);
    writeFileSync(join(dir, `${m}_stats.json`), JSON.stringify(data, null, 2) + "\n");
    writeFileSync(join(dir, `${m}_log.txt`), log);
  }
  return `wrote ${monkeys.length} monkey reports to ${dir}`;
}

