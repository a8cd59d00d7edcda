/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a Troop
 * listening on a loopback port and running a failing flock on the real JupyterHub. Every
 * request to anything but 127.0.0.1 is aborted and must not happen. Screenshots of each view go
 * to docs/screenshots/ (referenced by README.md). Covers the overview's server-computed sparkline
 * and failing run, the executions filtered by failure class on the server, the timings charts,
 * the flock page's pause, count, refresh, resume and stop buttons (hidden from a viewer), and
 * the audit page (admin, and a viewer told "admin only").
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tokenSha256 } from "../../src/api/auth.js";
import { hasChromium, openBrowser, SHOTS, type TestBrowser } from "../support/browser.js";
import { pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");
const FLOCK = "dash-fail";
const CODE = 'config = {"hub": "ok"}\nprint(config["missing_key"])';
/** A read-only principal: the audit page must tell it "admin only", the flock page offers it no button. */
const VIEWER_TOKEN = "viewer-token-dashboard-5e1f";
const YAML = `logLevel: debug\nshutdownTimeout: 60s\nprincipals:\n  - { name: dash-viewer, role: viewer, tokenSha256: ${tokenSha256(VIEWER_TOKEN)} }\n`;

describe.skipIf(!hub || !hasChromium())("dashboard in chromium", () => {
  let troop: TestTroop;
  let base: string;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let requested: string[];
  let blocked: string[];

  beforeAll(async () => {
    troop = await startTroop({ hubUrl: hub.url, adminToken: hub.adminToken, yaml: YAML });
    await troop.container.server.listen({ host: "127.0.0.1", port: 0 });
    const addr = troop.container.server.server.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
    expect((await troop.api("PUT", "/flocks", pythonFlock(FLOCK, { code: CODE, prefix: "bot-dash" }))).status).toBe(201);
    await waitFor("two failures", async () => (await troop.api("GET", `/flocks/${FLOCK}/summary`)).body.failure_count >= 2, 90_000);
    browser = await openBrowser();
    ({ context, page, requested, blocked } = browser);
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await troop?.api("DELETE", `/flocks/${FLOCK}`);
    await troop?.close();
  });

  const ready = async () => page.waitForSelector("body[data-ready='1']", { timeout: 15_000 });
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** Wait (at most `limitMs`, never failing) until the flock's execute_code durations fill `n` of the last 5 minutes' 5 s buckets. */
  const executionsInBuckets = async (n: number, limitMs: number) => {
    for (const end = Date.now() + limitMs; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
      const since = encodeURIComponent(new Date(Date.now() - 300_000).toISOString());
      const t = (await troop.api("GET", `/flocks/${FLOCK}/timings?metric=phase:execute_code&since=${since}&bucket=5s`)).body;
      if (t.buckets.filter((b: { count: number }) => b.count > 0).length >= n) return;
    }
  };

  it("asks for the token once, then the overview shows the failing flock", async () => {
    await page.goto(`${base}/ui`);
    await page.waitForSelector("#login:not([hidden])");
    await page.fill("#login input[name=token]", troop.token);
    await page.click("#login button[type=submit]");
    await ready();
    const text = await page.textContent("main");
    expect(text).toContain(FLOCK);
    expect(text).toMatch(/Failing now[\s\S]*dash-fail/);
    expect(text).toContain("code_error");
    // the sparkline and "failing since" are the server's figures (GET /flocks/{flock}/activity), drawn as they are
    const act = (await troop.api("GET", `/flocks/${FLOCK}/activity`)).body;
    expect(await page.locator(`#failing-now ~ .table-wrap a[href="/ui/executions/${act.failing.first.id}"]`).count()).toBe(1);
    const bars = await page.locator("main svg.spark g").evaluateAll((gs) => gs.map((g) => [g.getAttribute("data-start"), g.querySelector("title")!.textContent]));
    expect(bars).toHaveLength(24);
    const drawn = new Map(bars.map(([start, title]) => [start, /: (\d+) executions, (\d+) failures$/.exec(title!)!.slice(1).map(Number)]));
    const served = (await troop.api("GET", `/flocks/${FLOCK}/activity`)).body.hours as { start: string; executions: number; failures: number }[];
    for (const h of served.slice(0, -1)) if (drawn.has(h.start)) expect(drawn.get(h.start), h.start).toEqual([h.executions, h.failures]); // past hours no longer change
    expect([...drawn.values()].reduce((n, [, f]) => n + f!, 0)).toBeGreaterThanOrEqual(2);
    expect(requested.some((u) => u.endsWith(`/flocks/${FLOCK}/activity`))).toBe(true);
    expect(requested.some((u) => /\/executions\?since=/.test(u))).toBe(false); // no history read in the browser
    await shot("overview");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("overview-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("filters the executions by failure class on the server", async () => {
    await page.goto(`${base}/ui/executions?flock=${FLOCK}&class=timeout`);
    await ready();
    expect(requested.some((u) => u.includes(`/flocks/${FLOCK}/executions?`) && u.includes("failure_class=timeout"))).toBe(true);
    expect(await page.textContent("main tbody")).toBe("None");
    await page.fill("input[name=class]", "code_error");
    await page.click("form.filters button[type=submit]");
    await page.waitForURL(/class=code_error/);
    await ready();
    const classes = await page.locator("main tbody tr td:nth-child(6)").allTextContents();
    expect(classes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(classes)).toEqual(new Set(["code_error"]));
    await page.goto(`${base}/ui/executions?flock=${FLOCK}&class=no_such_class`);
    await ready();
    expect(await page.textContent("main p.error")).toMatch(/^422 invalid_request: .*failure_class/);
  });

  it("opens a failing execution from the list and shows the cell source and traceback", async () => {
    await page.goto(`${base}/ui/executions?flock=${FLOCK}&result=failure`);
    await ready();
    await shot("executions");
    await page.click("main table tbody tr:first-child td:first-child a");
    await page.waitForURL(/\/ui\/executions\/[0-9a-f]{12}-/);
    await ready();
    expect(await page.textContent("#code")).toContain('print(config["missing_key"])');
    expect(await page.textContent("#traceback")).toMatch(/KeyError/);
    expect(await page.textContent("#error-message")).toBe("execute_code · code_error: KeyError: 'missing_key'");
    await page.waitForFunction(() => !document.querySelector("#monkey-log")?.classList.contains("muted"));
    expect(await page.textContent("#monkey-log")).toMatch(/execute_code/);
    expect(await page.textContent("#raw")).toContain('"failure_class": "code_error"');
    await shot("execution");
  });

  it("shows the timings of the flock's phases, and p50/p95 over time per flock as SVG line charts", async () => {
    await executionsInBuckets(5, 12_000); // several points on the line, not one dot
    await page.goto(`${base}/ui/timings?flock=${FLOCK}&range=5m`); // 5 s buckets: the flock has run for well under a minute
    await ready();
    expect(await page.textContent("main")).toMatch(/spawn_lab|execute_code/);
    expect(await page.textContent("#timing-0 figcaption")).toMatch(/^Phase (spawn_lab|execute_code) \d+ durations · p50 [\d.]+ m?s · p95/);
    expect(await page.locator("#timing-0 svg.chart path.p50").count()).toBe(1);
    expect(await page.locator("#timing-0 svg.chart path.p95").count()).toBe(1);
    const api = (await troop.api("GET", `/flocks/${FLOCK}/timings?metric=phase:spawn_lab&since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).body;
    expect(api.total.count).toBeGreaterThan(0);
    await page.selectOption("#timings-form select[name=phase]", "execute_code"); // a choice submits the form
    await page.waitForURL(/phase=execute_code/);
    await ready();
    expect(await page.textContent("#timing-0 figcaption")).toMatch(/^Phase execute_code/);
    await shot("timings");
  });

  it("pauses the flock from its page, which the API then reports as paused", async () => {
    await page.goto(`${base}/ui/flocks/${FLOCK}`);
    await ready();
    expect(await page.textContent("main")).toContain("bot-dash1");
    expect(await page.textContent("main pre:last-of-type")).toContain("missing_key");
    await page.click("button[data-act=pause]");
    await page.waitForFunction(() => document.querySelector("#state")?.textContent === "paused", undefined, { timeout: 30_000 });
    const flock = await troop.api("GET", `/flocks/${FLOCK}`);
    expect(flock.body.paused).toBe(true);
    expect((await troop.api("GET", `/flocks/${FLOCK}/summary`)).body.paused).toBe(true);
    await shot("flock");
  });

  it("sets the count, shows the API's answer to refresh, and resumes from the flock page", async () => {
    await page.goto(`${base}/ui/flocks/${FLOCK}`);
    await ready();
    await page.fill("#count", "2");
    await page.click("button[data-act=count]");
    await waitFor("two monkeys", async () => (await troop.api("GET", `/flocks/${FLOCK}`)).body.monkeys.length === 2, 30_000);
    await page.waitForFunction(() => document.querySelectorAll("button[data-log]").length === 2, undefined, { timeout: 15_000 });
    await page.click("button[data-act=refresh]");
    await page.waitForFunction(() => { const t = document.querySelector("#action-result")?.textContent ?? ""; return t !== "" && !t.endsWith("…"); }, undefined, { timeout: 15_000 });
    const direct = await troop.api("POST", `/flocks/${FLOCK}/refresh`);
    const answer = await page.textContent("#action-result");
    if (direct.status === 200) expect(answer).toMatch(/^Refresh requested for \d+ monkeys$/);
    else expect(answer).toBe(`${direct.status} ${direct.body.code}: ${direct.body.message}`); // refused: the API's own message
    await page.click("button[data-act=resume]");
    await page.waitForFunction(() => document.querySelector("#state")?.textContent === "running", undefined, { timeout: 30_000 });
    expect((await troop.api("GET", `/flocks/${FLOCK}`)).body.paused).toBe(false);
  });

  it("shows a viewer the flock without the buttons it may not use", async () => {
    const viewer = await context.newPage(); // a new tab: its own sessionStorage, so the token form again
    await viewer.goto(`${base}/ui/flocks/${FLOCK}`);
    await viewer.waitForSelector("#login:not([hidden])");
    await viewer.fill("#login input[name=token]", VIEWER_TOKEN);
    await viewer.click("#login button[type=submit]");
    await viewer.waitForSelector("body[data-ready='1']", { timeout: 15_000 });
    expect(await viewer.textContent("main")).toContain("bot-dash1");
    expect(await viewer.locator("[data-act], #count").count()).toBe(0);
    expect(await viewer.textContent("#read-only")).toBe("Read only: dash-viewer (viewer) may not change this flock.");
    expect(await viewer.locator("button[data-log]").count()).toBeGreaterThan(0); // reading stays possible
    await viewer.screenshot({ path: join(SHOTS, "flock-viewer.png"), fullPage: true });
    await viewer.close();
    await page.goto(`${base}/ui/flocks/${FLOCK}`); // the admin's tab still has every button
    await ready();
    expect(await page.locator("[data-act]").count()).toBe(4);
  });

  it("stops the flock from its page after a confirmation", async () => {
    await page.goto(`${base}/ui/flocks/${FLOCK}`);
    await ready();
    page.once("dialog", (d) => void d.accept());
    await page.click("button[data-act=stop]");
    await page.waitForURL(/\/ui$/, { timeout: 60_000 });
    expect((await troop.api("GET", `/flocks/${FLOCK}`)).status).toBe(404);
  });

  it("lists the audit log with before/after diffs for an admin, and tells a viewer it is admin only", async () => {
    await page.goto(`${base}/ui/audit`);
    await ready();
    const text = (await page.textContent("main"))!;
    for (const action of ["put_flock", "pause_flock", "set_count", "resume_flock", "delete_flock"]) expect(text).toContain(action);
    expect(text).toMatch(/paused: ?false → true/);
    expect(text).toContain("admin (admin)");
    for (const secret of troop.scrubber.seen) expect(text).not.toContain(secret);
    await shot("audit");
    const viewer = await context.newPage(); // a new tab: its own sessionStorage, so the token form again
    await viewer.goto(`${base}/ui/audit`);
    await viewer.waitForSelector("#login:not([hidden])");
    await viewer.fill("#login input[name=token]", VIEWER_TOKEN);
    await viewer.click("#login button[type=submit]");
    await viewer.waitForSelector("body[data-ready='1']", { timeout: 15_000 });
    expect(await viewer.textContent("#admin-only")).toMatch(/^Admin only\./);
    expect(await viewer.textContent("main")).not.toMatch(/403|forbidden/);
    expect(await viewer.isHidden("#status")).toBe(true);
    await viewer.screenshot({ path: join(SHOTS, "audit-admin-only.png") });
    await viewer.close();
  });

  it("made no request to anything but 127.0.0.1", () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(blocked).toEqual([]);
  });
});
