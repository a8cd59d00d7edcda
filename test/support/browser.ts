/**
 * Debian's chromium through playwright-core, headless, for the dashboard's browser tests: the
 * launch flags this machine needs (no sandbox as root, no background networking), a throwaway
 * profile, and every request to anything but 127.0.0.1 aborted and recorded in `blocked`.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Where the browser tests save the screenshots README.md and docs/ show. */
export const SHOTS = join(import.meta.dirname, "../../docs/screenshots");

export const hasChromium = (): boolean => existsSync(CHROMIUM);

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Every URL the pages asked for. */
  requested: string[];
  /** The URLs aborted because they were not on 127.0.0.1 (a test expects none). */
  blocked: string[];
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "troop-chromium-"));
  const requested: string[] = [];
  const blocked: string[] = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requested.push(url);
    if (new URL(url).hostname === "127.0.0.1") return route.continue();
    blocked.push(url);
    return route.abort("blockedbyclient");
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    requested,
    blocked,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
