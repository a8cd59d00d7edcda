/**
 * The lab side of hub type `nublado` against the fake platform: lab login through the hub's
 * OAuth, cookie + XSRF credentials for REST and the kernel websocket, code execution through
 * `LabClient`/`KernelConnection`, errors, interrupts and XSRF enforcement.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpStatusError } from "../../../src/errors.js";
import { HttpClient } from "../../../src/clients/http.js";
import { NubladoPlatform } from "../../../src/clients/hub/nublado.js";
import type { BotSession, LabEndpoint } from "../../../src/clients/hub/types.js";
import { LabClient } from "../../../src/clients/jupyterlab/lab-client.js";
import { KernelExecutionError } from "../../../src/clients/jupyterlab/kernel.js";
import { type FakeNublado, startFakeNublado } from "../../support/fake-nublado.js";

const http = new HttpClient("troop-test");
const signal = () => AbortSignal.timeout(10_000);
const user = "bot-troop-lab";

let fake: FakeNublado;
let session: BotSession;
let endpoint: LabEndpoint;
let requestsAtLabLogin: string[];

beforeAll(async () => {
  fake = await startFakeNublado();
  const platform = new NubladoPlatform({ http, baseUrl: fake.url, adminToken: fake.adminToken, tokenLifetimeMs: 3_600_000 });
  session = platform.session({ username: user, uidnumber: 4242, groups: [], scopes: ["exec:notebook"] });
  await session.login(signal());
  await session.requestSpawn({ imageClass: "latest-weekly", size: "Medium", debug: false, userOptions: {} }, signal());
  await session.waitForSpawn(signal(), () => undefined);
  const before = fake.state.requests.length;
  endpoint = await session.labLogin(signal());
  requestsAtLabLogin = fake.state.requests.slice(before);
});
afterAll(async () => {
  await session.close(signal());
  await fake.close();
});

/** A console session with an open kernel; closed and deleted by the returned `done`. */
async function kernel(auth = endpoint.auth) {
  const lab = new LabClient(http, endpoint.baseUrl, auth);
  const s = await lab.createSession({ name: `troop-${Math.random()}`, kernelName: "LSST", signal: signal() });
  const conn = await lab.openKernel({ kernelId: s.kernelId, username: user, maxPayload: null, signal: signal() });
  const done = async () => {
    conn.close();
    await lab.deleteSession(s.id, signal());
  };
  return { lab, session: s, conn, done };
}

describe("lab login", () => {
  it("goes through the hub's OAuth authorize step and comes back with lab cookies and XSRF", () => {
    const base = `/nb/user/${user}`;
    expect(endpoint.baseUrl).toBe(`${fake.url}${base}/`);
    expect(requestsAtLabLogin).toEqual([
      `GET ${base}/lab 302`, "GET /nb/hub/api/oauth2/authorize 302", `GET ${base}/oauth_callback 302`, `GET ${base}/lab 200`,
    ]);
    const headers = endpoint.auth.headers();
    expect(headers.cookie).toMatch(new RegExp(`jupyterhub-user-${user}=`));
    expect(headers.cookie).not.toMatch(/oauth-state|jupyterhub-hub-login/);
    expect(headers["x-xsrftoken"]).toBeTruthy();
    expect(headers.authorization).toMatch(/^Bearer gt-/);
  });

  it("fails with the hub's 503 when the bot has no running lab", async () => {
    const platform = new NubladoPlatform({ http, baseUrl: fake.url, adminToken: fake.adminToken, tokenLifetimeMs: 3_600_000 });
    const other = platform.session({ username: "bot-troop-nolab", groups: [], scopes: ["exec:notebook"] });
    const err = await other.labLogin(signal()).catch((e: unknown) => e);
    await other.close(signal());
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status: 503, url: `${fake.url}/nb/hub/user/bot-troop-nolab/lab` });
  });
});

describe("running code", () => {
  it("reports the LSST kernel as the default kernelspec", async () => {
    const lab = new LabClient(http, endpoint.baseUrl, endpoint.auth);
    expect(await lab.defaultKernel(signal())).toBe("LSST");
  });

  it("executes code over the kernel websocket and sees the lab's image", async () => {
    const k = await kernel();
    expect(await k.conn.execute('print(2+2, end="")', signal())).toEqual({ stdout: "4", stderr: "", result: null });
    expect((await k.conn.execute("x = 6\nprint(x * 7)\nx ** 2", signal()))).toEqual({ stdout: "42\n", stderr: "", result: "36" });
    const env = await k.conn.execute('import os\nprint(os.environ["JUPYTER_IMAGE_SPEC"])\nprint(os.environ.get("IMAGE_DESCRIPTION"))', signal());
    const lab = fake.state.labs.get(user);
    expect(env.stdout).toBe(`${lab?.image}\n${lab?.description}\n`);
    expect(env.stdout).toMatch(/sciplat-lab:w_2077_46@sha256:.*\nWeekly 2077_46\n/);
    expect(await k.conn.execute("from lsst.rsp import get_node\nprint(get_node(), end='')", signal())).toMatchObject({ stdout: "fake-node-1" });
    expect(await k.conn.execute("import numpy as np\nnp.zeros(3)", signal())).toEqual({ stdout: "", stderr: "", result: null });
    await k.done();
    expect(fake.state.labs.get(user)?.sessions.size).toBe(0);
  });

  it("surfaces ZeroDivisionError as KernelExecutionError with the ANSI colours stripped", async () => {
    const k = await kernel();
    const err = await k.conn.execute("print('before')\n1/0", signal()).catch((e: unknown) => e);
    await k.done();
    expect(err).toBeInstanceOf(KernelExecutionError);
    const e = err as KernelExecutionError;
    expect(e.ename).toBe("ZeroDivisionError");
    expect(e.evalue).toBe("division by zero");
    expect(e.traceback).toContain("ZeroDivisionError: division by zero");
    expect(e.traceback).toContain("----> 2 1/0");
    expect(e.traceback).not.toContain("\u001b[");
  });

  it("turns an interrupt during time.sleep into KeyboardInterrupt", async () => {
    const k = await kernel();
    const started = Date.now();
    const running = k.conn.execute("import time; time.sleep(30)", signal()).catch((e: unknown) => e);
    const fakeKernel = fake.state.labs.get(user)?.kernels.get(k.session.kernelId);
    while (!fakeKernel?.interrupt) await new Promise((r) => setTimeout(r, 10)); // the cell is sleeping
    await k.lab.interruptKernel(k.session.kernelId, signal());
    const err = await running;
    expect(err).toBeInstanceOf(KernelExecutionError);
    expect((err as KernelExecutionError).ename).toBe("KeyboardInterrupt");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await k.conn.execute("print(1)", signal())).toMatchObject({ stdout: "1\n" });
    await k.done();
  });

  it("sleeps for real when not interrupted", async () => {
    const k = await kernel();
    const started = Date.now();
    await k.conn.execute("import time\ntime.sleep(0.3)", signal());
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await k.done();
  });
});

describe("XSRF and cookies", () => {
  const without = (name: string) => ({
    headers: () => Object.fromEntries(Object.entries(endpoint.auth.headers()).filter(([k]) => k !== name)),
  });

  it("refuses lab REST calls that lack the X-XSRFToken header", async () => {
    const lab = new LabClient(http, endpoint.baseUrl, without("x-xsrftoken"));
    await expect(lab.createSession({ name: "no-xsrf", kernelName: "LSST", signal: signal() })).rejects.toMatchObject({ status: 403 });
    await expect(lab.defaultKernel(signal())).rejects.toMatchObject({ status: 403 });
  });

  it("refuses lab REST calls with a wrong XSRF token", async () => {
    const wrong = { headers: () => ({ ...endpoint.auth.headers(), "x-xsrftoken": "not-the-token" }) };
    const lab = new LabClient(http, endpoint.baseUrl, wrong);
    await expect(lab.createSession({ name: "bad-xsrf", kernelName: "LSST", signal: signal() })).rejects.toMatchObject({ status: 403 });
  });

  it("refuses a kernel websocket handshake without the lab cookie or the XSRF token", async () => {
    const k = await kernel();
    for (const missing of ["cookie", "x-xsrftoken", "authorization"]) {
      const lab = new LabClient(http, endpoint.baseUrl, without(missing));
      await expect(lab.openKernel({ kernelId: k.session.kernelId, username: user, maxPayload: null, signal: signal() })).rejects.toThrow(/refused with HTTP (401|403)/);
    }
    await k.done();
  });

  it("refuses a spawn form posted to the hub without the hub's XSRF token", async () => {
    const token = endpoint.auth.headers().authorization ?? "";
    await session.login(signal()); // fresh hub cookies
    const logStart = fake.state.requests.length;
    const res = await fetch(`${fake.url}/nb/hub/spawn`, {
      method: "POST",
      redirect: "manual",
      headers: { authorization: token, "content-type": "application/x-www-form-urlencoded", cookie: `jupyterhub-hub-login=${[...fake.state.hubLogins.keys()].at(-1)}` },
      body: "image_class=recommended&size=Large",
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("'_xsrf' argument missing from POST");
    expect(fake.state.requests.slice(logStart)).toEqual(["POST /nb/hub/spawn 403"]);
  });
});
