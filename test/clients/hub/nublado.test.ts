/**
 * Hub type `nublado` against the fake platform (test/support/fake-nublado.ts): Gafaelfawr
 * tokens, hub login, spawning by image class/tag/reference, progress, deletion, clean-up,
 * outages and secret hygiene. Lab and kernel tests are in `nublado-lab.test.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HttpStatusError } from "../../../src/errors.js";
import { HttpClient } from "../../../src/clients/http.js";
import { NubladoPlatform, SpawnFailedError, StopServersError } from "../../../src/clients/hub/nublado.js";
import { NubladoBrowser } from "../../../src/clients/hub/nublado-browser.js";
import type { BotSession, BotUser, SpawnProgress, SpawnRequest } from "../../../src/clients/hub/types.js";
import { type FakeNublado, type FakeNubladoOptions, startFakeNublado } from "../../support/fake-nublado.js";

const http = new HttpClient("troop-test");
const signal = () => AbortSignal.timeout(10_000);
const bot = (n: number): BotUser => ({
  username: `bot-troop-${n}`,
  uidnumber: 1000 + n,
  groups: [{ name: "g-troop", id: 2000 }],
  scopes: ["read:tap", "exec:notebook"],
});
const request = (over: Partial<SpawnRequest> = {}): SpawnRequest => ({ imageClass: "recommended", size: "Large", debug: false, userOptions: {}, ...over });

let fake: FakeNublado;
let platform: NubladoPlatform;
let secrets: string[];

async function setup(opts: FakeNubladoOptions = {}): Promise<void> {
  fake = await startFakeNublado(opts);
  secrets = [];
  platform = new NubladoPlatform({
    http, baseUrl: fake.url, adminToken: fake.adminToken, tokenLifetimeMs: 3_600_000, deletePollMs: 20,
    onSecret: (s) => secrets.push(s),
  });
}

async function spawn(session: BotSession, req: SpawnRequest = request()): Promise<SpawnProgress[]> {
  const events: SpawnProgress[] = [];
  await session.login(signal());
  await session.requestSpawn(req, signal());
  await session.waitForSpawn(signal(), (p) => events.push(p));
  return events;
}

const tokensOf = (username: string) => [...fake.state.tokens.values()].filter((t) => t.username === username);

beforeEach(() => setup());
afterEach(() => fake.close());

describe("hub login", () => {
  it("mints a Gafaelfawr service token for the bot and logs in to the hub like a browser", async () => {
    const session = platform.session(bot(1));
    await session.login(signal());

    const [token, ...more] = tokensOf("bot-troop-1");
    expect(more).toHaveLength(0);
    expect(token).toMatchObject({ tokenType: "service", scopes: ["exec:notebook", "read:tap"], uid: 1001, gid: 1001, groups: [{ name: "g-troop", id: 2000 }] });
    expect(token?.expires).toBeGreaterThan(Date.now() + 3_500_000);
    expect(secrets).toHaveLength(1);
    expect(fake.state.requests).toEqual(expect.arrayContaining([
      "POST /auth/api/v1/tokens 201", "GET /auth/api/v1/user-info 200",
      "GET /nb/hub/home 302", "GET /nb/hub/login 302", "GET /nb/hub/gafaelfawr/login 302", "GET /nb/hub/home 200",
    ]));
    expect(await session.labState(signal())).toBe("stopped");
  });

  it("reuses the token on a second login but starts from fresh cookies", async () => {
    const session = platform.session(bot(1));
    await session.login(signal());
    await session.login(signal());
    expect(tokensOf("bot-troop-1")).toHaveLength(1);
    expect(fake.state.hubLogins.size).toBe(2);
  });

  it("needs the _xsrf cookie, which the hub only sets on navigation (fetch always sends Sec-Fetch-Mode: cors)", async () => {
    const { token } = await platform.gafaelfawr.createBotToken({ username: "bot-troop-1", scopes: ["exec:notebook"], groups: [], lifetimeMs: 600_000, signal: signal() });
    const browser = new NubladoBrowser({ baseUrl: fake.url, token, timeoutMs: 5000 });
    await browser.request(`${fake.url}/nb/hub/home`, { mode: "navigate", signal: signal() });
    const cookie = browser.jar.header(`${fake.url}/nb/hub/home`) ?? "";
    const viaFetch = await fetch(`${fake.url}/nb/hub/home`, { headers: { authorization: `Bearer ${token}`, cookie: cookie.replace(/_xsrf=[^;]*;?\s*/, "") } });
    expect(viaFetch.status).toBe(200);
    expect(viaFetch.headers.getSetCookie().some((c) => c.startsWith("_xsrf="))).toBe(false);
    expect(browser.xsrf(`${fake.url}/nb/hub/home`)).toBeTruthy();
  });
});

describe("spawning", () => {
  it("spawns the recommended image and follows the SSE progress stream until ready", async () => {
    const session = platform.session(bot(1));
    const events = await spawn(session);

    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.at(-1)).toMatchObject({ progress: 100, ready: true, failed: false, message: "Server ready at /nb/user/bot-troop-1/" });
    const progress = events.map((e) => e.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    const lab = fake.state.labs.get("bot-troop-1");
    expect(lab).toMatchObject({ running: true, form: { image_class: "recommended", size: "Large" }, description: "Recommended (Weekly 2077_45)" });
    expect(lab?.image).toMatch(/^ghcr\.io\/lsst-sqre\/sciplat-lab:recommended@sha256:[0-9a-f]{64}$/);
    expect(await session.labState(signal())).toBe("running");
  });

  it.each([
    [{ imageClass: "latest-weekly" }, { image_class: "latest-weekly" }, ":w_2077_46@", "Weekly 2077_46"],
    [{ imageClass: "latest-release" }, { image_class: "latest-release" }, ":r28_0_1@", "Release r28.0.1"],
    [{ imageClass: "latest-daily" }, { image_class: "latest-daily" }, ":d_2077_11_14@", "Daily 2077_11_14"],
    [{ imageClass: "by-tag", tag: "w_2077_45" }, { image_tag: "w_2077_45" }, ":w_2077_45@", "Weekly 2077_45"],
    [{ imageClass: "by-reference", reference: "ghcr.io/lsst-sqre/sciplat-lab:r28_0_1" }, { image_list: "ghcr.io/lsst-sqre/sciplat-lab:r28_0_1" }, ":r28_0_1@", "Release r28.0.1"],
  ] as const)("spawns %o with form fields %o", async (over, fields, tagPart, description) => {
    await spawn(platform.session(bot(2)), request({ ...over, size: "Small" }));
    const lab = fake.state.labs.get("bot-troop-2");
    expect(lab?.form).toEqual({ ...fields, size: "Small" });
    expect(lab?.image).toContain(tagPart);
    expect(lab?.description).toBe(description);
    expect(lab?.size).toBe("small");
  });

  it("sends enable_debug only when debugging is asked for", async () => {
    await spawn(platform.session(bot(3)), request({ debug: true }));
    expect(fake.state.labs.get("bot-troop-3")?.form).toEqual({ image_class: "recommended", size: "Large", enable_debug: "true" });
  });

  it("throws SpawnFailedError with the hub's message when the spawn fails", async () => {
    const session = platform.session(bot(1));
    fake.failNextSpawn("bot-troop-1", "Insufficient quota to create lab");
    const events: SpawnProgress[] = [];
    await session.login(signal());
    await session.requestSpawn(request(), signal());
    const err = await session.waitForSpawn(signal(), (p) => events.push(p)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnFailedError);
    expect((err as Error).message).toBe("Spawn failed: Insufficient quota to create lab");
    expect(events.at(-1)).toMatchObject({ failed: true, ready: false });
    expect(await session.labState(signal())).toBe("stopped");
  });

  it("fails the spawn of a tag the platform does not have", async () => {
    const session = platform.session(bot(1));
    await session.login(signal());
    await session.requestSpawn(request({ imageClass: "by-tag", tag: "w_1999_01" }), signal());
    await expect(session.waitForSpawn(signal(), () => undefined)).rejects.toThrow("Spawn failed: Docker image with tag w_1999_01 not found");
  });

  it("gets a 400 from the hub when spawning while a lab is running", async () => {
    const session = platform.session(bot(1));
    await spawn(session);
    const err = await session.requestSpawn(request(), signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(400);
  });
});

describe("deleting a lab", () => {
  it("deletes the server through the hub API and polls the user model until it is gone", async () => {
    await fake.close();
    await setup({ stopDelayMs: 150 });
    const session = platform.session(bot(1));
    await spawn(session);
    await session.deleteLab(signal());

    expect(fake.state.labs.get("bot-troop-1")).toMatchObject({ running: false, pending: null });
    expect(fake.state.requests).toContain("DELETE /nb/hub/api/users/bot-troop-1/server 202");
    expect(fake.state.requests.filter((r) => r === "GET /nb/hub/api/users/bot-troop-1 200").length).toBeGreaterThan(2);
    await session.deleteLab(signal()); // nothing to delete: no DELETE sent
    expect(fake.state.requests.filter((r) => r.startsWith("DELETE /nb/hub/")).length).toBe(1);
  });

  it("stops waiting when the signal aborts", async () => {
    await fake.close();
    await setup({ stopDelayMs: 60_000 });
    const session = platform.session(bot(1));
    await spawn(session);
    const reason = new Error("phase timed out");
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(reason), 100);
    await expect(session.deleteLab(ctl.signal)).rejects.toBe(reason);
  });
});

describe("credentials", () => {
  it("revokes the bot token on close, after which Gafaelfawr rejects it", async () => {
    const session = platform.session(bot(1));
    await session.login(signal());
    const [token] = tokensOf("bot-troop-1");
    await session.close(signal());
    expect(fake.state.revoked).toEqual([token?.key]);
    await expect(platform.gafaelfawr.userInfo(secrets[0] ?? "", signal())).rejects.toMatchObject({ status: 401 });
  });

  it("mints a new token after resetCredentials and revokes both on close", async () => {
    const session = platform.session(bot(1));
    await session.login(signal());
    session.resetCredentials();
    await session.login(signal());
    expect(secrets).toHaveLength(2);
    await session.close(signal());
    expect(fake.state.revoked).toHaveLength(2);
    expect(tokensOf("bot-troop-1")).toHaveLength(0);
  });

  it("never puts the admin token or a bot token into error messages", async () => {
    const messages: string[] = [];
    const collect = (p: Promise<unknown>) => p.then(() => messages.push("(no error)"), (e: unknown) => messages.push(String(e)));
    const session = platform.session(bot(1));
    await session.login(signal());
    await collect(session.labLogin(signal())); // no lab: 503 from the hub
    const wrongAdmin = new NubladoPlatform({ http, baseUrl: fake.url, adminToken: `${fake.adminToken.slice(0, -2)}xx`, tokenLifetimeMs: 3_600_000 });
    await collect(wrongAdmin.session(bot(2)).login(signal()));
    await collect(platform.gafaelfawr.createBotToken({ username: "bot-troop-1", scopes: ["exec:notebook"], groups: [], lifetimeMs: 1000, signal: signal() }));
    fake.setDown(true);
    await collect(session.login(signal()));
    await collect(session.close(signal()));
    expect(messages).toHaveLength(5);
    expect(messages).not.toContain("(no error)");
    for (const m of messages) for (const secret of [fake.adminToken, ...secrets]) expect(m).not.toContain(secret.slice(3));
    expect(messages[2]).toMatch(/422.*at least five minutes/);
  });
});

describe("outages", () => {
  it("surfaces 503s as HttpStatusError and works again once the platform is back", async () => {
    const session = platform.session(bot(1));
    fake.setDown(true);
    await expect(session.login(signal())).rejects.toMatchObject({ name: "HttpStatusError", status: 503 });
    fake.setDown(false);
    await session.login(signal());
    await spawn(session);
    fake.setDown(true);
    await expect(session.labState(signal())).rejects.toMatchObject({ status: 503 });
    await expect(session.deleteLab(signal())).rejects.toMatchObject({ status: 503 });
  });
});

describe("stopServers", () => {
  it("stops running labs through each bot's own short-lived token and revokes those tokens", async () => {
    const s1 = platform.session(bot(1));
    const s2 = platform.session(bot(2));
    await spawn(s1);
    await spawn(s2);
    const before = fake.state.tokens.size;

    const stopped = await platform.stopServers(["bot-troop-1", "bot-troop-2", "bot-troop-3"], signal());

    expect(stopped).toEqual(["bot-troop-1", "bot-troop-2"]);
    expect(fake.state.labs.get("bot-troop-1")?.running).toBe(false);
    expect(fake.state.labs.get("bot-troop-2")?.running).toBe(false);
    expect(fake.state.revoked).toHaveLength(3);
    expect(fake.state.tokens.size).toBe(before);
  });

  it("tries every user and reports the ones it could not handle", async () => {
    await spawn(platform.session(bot(1)));
    const err = await platform.stopServers(["alice", "bot-troop-1"], signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StopServersError);
    expect((err as StopServersError).stopped).toEqual(["bot-troop-1"]);
    expect((err as StopServersError).failures.map((f) => f.username)).toEqual(["alice"]);
    expect((err as Error).message).toMatch(/alice.*403/);
  });
});
