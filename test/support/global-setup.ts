/**
 * Purpose: vitest globalSetup. Starts ONE real JupyterHub for the whole run in a fresh temp
 * state dir, provides its coordinates as `inject("hub")`, and stops + removes it at teardown.
 * TROOP_TEST_NO_HUB=1 skips the hub (nothing is provided; real-hub tests must skip).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startRealHub, sweepStaleHubs, TEMP_PREFIX } from "./real-hub.js";

declare module "vitest" {
  export interface ProvidedContext {
    hub: { url: string; apiUrl: string; adminToken: string; stateDir: string };
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.TROOP_TEST_NO_HUB === "1") return undefined;
  await sweepStaleHubs(); // hubs left behind by a killed earlier run
  const stateDir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}shared-`));
  writeFileSync(join(stateDir, "owner.pid"), `${process.pid}\n`);
  const started = Date.now();
  const hub = await startRealHub({ stateDir }).catch((e: unknown) => {
    rmSync(stateDir, { recursive: true, force: true }); // start.sh already stopped what it started
    throw e;
  });
  if (process.env.TROOP_TEST_VERBOSE) console.error(`[global-setup] hub at ${hub.url} in ${Date.now() - started} ms`);
  project.provide("hub", { url: hub.url, apiUrl: hub.apiUrl, adminToken: hub.adminToken, stateDir: hub.stateDir });
  return async () => {
    await hub.stop({ rm: true });
  };
}
