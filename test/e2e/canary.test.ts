/**
 * The full-run canary (issue 8 acceptance): a Troop on the real hub configured with distinctive
 * secrets — API tokens of the admin, an owner and a viewer, the hub admin token, the Slack
 * webhook URL, the GitHub app's private key and webhook secret, a TAP token, the tokens a
 * gateway forwards — runs passing, failing and notebook flocks, a solitary run, gateway and
 * owner calls, every read route, the dashboard pages and error responses that echo input. Then
 * every response body, log line, Slack payload, database row and file under the data directory
 * is searched for every secret, including each bot token minted. None may be found.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tokenSha256 } from "../../src/api/auth.js";
import { dataDirOf } from "../../src/store/data-dir.js";
import { createTestRepo, notebook } from "../support/notebook-repo.js";
import { databaseRows, fileSources, findSecrets } from "../support/secret-scan.js";
import { startSlackReceiver, WEBHOOK_PATH, type SlackReceiver } from "../support/slack-receiver.js";
import { API_TOKEN, pythonFlock, startTroop, waitFor, type TestTroop } from "../support/troop.js";

const hub = inject("hub");

const OWNER_TOKEN = "owner-token-canary-0c4n4ry1a2b3";
const VIEWER_TOKEN = "viewer-token-canary-0c4n4ry4c5d6";
const GITHUB_KEY_BODY = "MIIEcanaryGitHubPrivateKeyBody0c4n4ry7e8f9LEAKCHECKxyz";
const GITHUB_PRIVATE_KEY = `-----BEGIN RSA PRIVATE KEY-----\n${GITHUB_KEY_BODY}\n-----END RSA PRIVATE KEY-----\n`;
const GITHUB_WEBHOOK_SECRET = "github-webhook-secret-canary-0c4n4ry2d4";
const TAP_TOKEN = "tap-token-canary-0c4n4ry8a1c";
const GATEWAY_TOKEN = "gafaelfawr-user-token-canary-0c4n4ry5b7e";
const GATEWAY_DELEGATED = "gafaelfawr-delegated-token-canary-0c4n4ry9f0a";
const WRONG_TOKEN = "wrong-token-canary-0c4n4ry3e6d";

const yaml = `
logLevel: debug
shutdownTimeout: 60s
availableApplications: [nublado]
history: { flushInterval: 100ms }
slack: { dailyReport: null, retryDelay: 100ms, timeout: 2s }
failedAuth: { maxFailures: 100000 }
principals:
  - { name: canary-owner, role: owner, tokenSha256: ${tokenSha256(OWNER_TOKEN)}, flocks: ["own-*"], businesses: [EmptyLoop], scopes: ["read:tap"], maxCount: 2 }
  - { name: canary-viewer, role: viewer, tokenSha256: ${tokenSha256(VIEWER_TOKEN)} }
gateway:
  enabled: true
  trustedProxies: ["127.0.0.1/32"]
  roles:
    - { scope: "exec:admin", role: admin }
    - { scope: "read:all", role: viewer }
`;

describe.skipIf(!hub)("full-run canary", () => {
  let troop: TestTroop;
  let receiver: SlackReceiver;
  const slackPayloads = () => receiver.messages.map((m, i) => ({ where: `slack message ${i}`, text: JSON.stringify(m.body) }));

  beforeAll(async () => {
    receiver = await startSlackReceiver();
    troop = await startTroop({
      hubUrl: hub.url,
      adminToken: hub.adminToken,
      yaml,
      env: { TROOP_SLACK_WEBHOOK_URL: receiver.url, TROOP_GITHUB_PRIVATE_KEY: GITHUB_PRIVATE_KEY, TROOP_GITHUB_WEBHOOK_SECRET: GITHUB_WEBHOOK_SECRET, TROOP_TAP_TOKEN: TAP_TOKEN },
    });
  });
  afterAll(async () => {
    await troop?.close();
    await receiver?.close();
  });

  it("finds no configured or minted secret in any response, log line, alert, row or file", async () => {
    expect(troop.container.config.github).toMatchObject({ privateKey: GITHUB_PRIVATE_KEY, webhookSecret: GITHUB_WEBHOOK_SECRET }); // from the environment
    const gw = (scopes: string, extra: Record<string, string> = {}) => ({ "x-auth-request-user": "canary-gw", "x-auth-request-token-scopes": scopes, "x-auth-request-token": GATEWAY_DELEGATED, authorization: `Bearer ${GATEWAY_TOKEN}`, ...extra });
    // Lab code prints a secret Troop knows, built from halves so that no flock config holds it.
    const half = TAP_TOKEN.length / 2;
    const leakCode = `print('LEAKMARK', ${JSON.stringify(TAP_TOKEN.slice(0, half))} + ${JSON.stringify(TAP_TOKEN.slice(half))})\n`;
    const repo = createTestRepo({
      "leaky.ipynb": notebook([{ cell_type: "code", source: leakCode }, { cell_type: "code", source: "1/0" }]),
    });

    // Work: passing, failing (prints the TAP token, then raises) and notebook flocks; gateway and owner changes.
    expect((await troop.api("PUT", "/flocks", pythonFlock("canary-ok", { prefix: "bot-cnok" }))).status).toBe(201);
    expect((await troop.api("PUT", "/flocks", pythonFlock("canary-fail", { prefix: "bot-cnfail", code: `${leakCode}1/0` }))).status).toBe(201);
    const nb = { name: "canary-nb", count: 1, user_spec: { username_prefix: "bot-cnnb" }, business: { type: "NotebookRunnerList", options: { repo_url: repo.url, repo_ref: "main", idle_time: "1s", execution_idle_time: 0, spawn_settle_time: 0, delete_lab: false, jupyter_timeout: "30s", spawn_timeout: "90s" } } };
    expect((await troop.api("PUT", "/flocks", nb)).status).toBe(201);
    const empty = (name: string) => ({ name, count: 1, scopes: ["read:tap"], user_spec: { username_prefix: `bot-${name}` }, business: { type: "EmptyLoop", options: { idle_time: "10s" } } });
    expect((await troop.api("PUT", "/flocks", empty("own-canary"), { authorization: `Bearer ${OWNER_TOKEN}` })).status).toBe(201);
    expect((await troop.api("PUT", "/flocks", empty("gw-canary"), gw("read:all exec:admin"))).status).toBe(201);
    expect((await troop.api("POST", "/flocks/gw-canary/pause", undefined, gw("exec:admin"))).status).toBe(200);

    await waitFor("executions of every lab flock", async () => {
      const s = (await troop.api("GET", "/summary")).body.flocks as { name: string; success_count: number; failure_count: number }[];
      const done = (n: string) => s.find((f) => f.name === n) ?? { success_count: 0, failure_count: 0 };
      return done("canary-ok").success_count >= 1 && done("canary-fail").failure_count >= 2 && done("canary-nb").success_count + done("canary-nb").failure_count >= 1;
    }, 240_000, 500);
    await receiver.waitForMessages(1, 30_000);
    const solo = await troop.api("POST", "/run", { user: { username: "bot-cnsolo" }, business: { type: "NubladoPythonLoop", options: { code: leakCode, max_executions: 1, spawn_settle_time: 0 } } });
    expect(solo.status, solo.raw).toBe(200);

    // Every read route, as admin, owner, viewer and gateway user.
    const flocks = (await troop.api("GET", "/flocks")).body as string[];
    const ids = new Set<string>();
    const artifacts = new Set<string>();
    for (const f of flocks) {
      for (const path of ["", "/summary", "/timings", "/monkeys"]) await troop.api("GET", `/flocks/${f}${path}`);
      const monkeys = (await troop.api("GET", `/flocks/${f}/monkeys`)).body as string[];
      for (const m of monkeys) {
        expect((await troop.api("GET", `/flocks/${f}/monkeys/${m}`)).status).toBe(200);
        expect((await troop.api("GET", `/flocks/${f}/monkeys/${m}/log`)).status).toBe(200);
      }
      const page = (await troop.api("GET", `/flocks/${f}/executions?limit=100`)).body;
      for (const e of page.executions ?? []) ids.add(e.id);
    }
    for (const e of (await troop.api("GET", "/solitary/executions?limit=100")).body.executions ?? []) ids.add(e.id);
    for (const id of ids) {
      const detail = (await troop.api("GET", `/executions/${id}`)).body;
      if (detail.artifact) artifacts.add(detail.artifact);
      await troop.container.server.inject({ method: "GET", url: `/ui/executions/${id}` }).then((r) => troop.responses.push(r.body));
    }
    expect(artifacts.size).toBeGreaterThanOrEqual(1);
    for (const a of artifacts) expect((await troop.api("GET", `/artifacts/${a}`)).status).toBe(200);
    for (const path of ["/summary", "/audit", "/audit?flock=gw-canary", "/metrics", "/openapi.json", "/docs", "/discovery", "/healthz", "/readyz"]) await troop.api("GET", path);
    for (const path of ["/ui", "/ui/", "/ui/flocks/canary-fail", "/ui/executions", "/ui/timings", "/ui/app.js"]) await troop.api("GET", path);
    await troop.api("GET", "/summary", undefined, { authorization: `Bearer ${VIEWER_TOKEN}` });
    await troop.api("GET", "/flocks/canary-fail/executions", undefined, { authorization: `Bearer ${OWNER_TOKEN}` });
    await troop.api("GET", "/flocks/canary-fail/monkeys/bot-cnfail1/log", undefined, gw("read:all"));
    const audit = (await troop.api("GET", "/audit?flock=gw-canary")).body;
    expect(audit.map((e: { actor: string }) => e.actor)).toContain("gateway:canary-gw");

    // Error responses, some of which echo their input: wrong tokens, secrets in bodies, paths and queries.
    expect((await troop.api("GET", "/flocks", undefined, { authorization: `Bearer ${WRONG_TOKEN}` })).status).toBe(401);
    expect((await troop.api("GET", "/audit", undefined, { authorization: `Bearer ${VIEWER_TOKEN}` })).status).toBe(403);
    const echoes = [hub.adminToken, receiver.url, GITHUB_WEBHOOK_SECRET, OWNER_TOKEN];
    for (const secret of echoes) {
      const bad = { ...empty("bad"), count: -1 }; // always refused, whatever else is echoed
      for (const body of [
        { ...bad, name: `${secret}/` },
        { ...bad, business: { type: secret, options: {} } },
        { ...bad, user_spec: { username_prefix: secret } },
        { ...bad, [secret]: 1 },
        { ...bad, business: { type: "EmptyLoop", options: { [secret]: secret } } },
      ]) {
        const r = await troop.api("PUT", "/flocks", body);
        expect(r.status, r.raw).toBeGreaterThanOrEqual(400);
      }
      await troop.api("PATCH", "/flocks/canary-ok", { count: secret });
      await troop.api("GET", `/flocks/${encodeURIComponent(secret)}`);
      await troop.api("GET", `/flocks/canary-ok/executions?limit=${encodeURIComponent(secret)}`);
      await troop.api("GET", `/executions/${encodeURIComponent(secret)}`);
      await troop.api("POST", "/run", { user: { username: secret }, business: { type: secret } });
    }

    for (const f of (await troop.api("GET", "/flocks")).body as string[]) await troop.api("DELETE", `/flocks/${f}`);
    await troop.close();

    // Scan.
    const named: Record<string, string> = {
      "API admin token": API_TOKEN,
      "owner token": OWNER_TOKEN,
      "viewer token": VIEWER_TOKEN,
      "hub admin token": hub.adminToken,
      "Slack webhook URL": receiver.url,
      "Slack webhook secret path": WEBHOOK_PATH.split("/").pop()!,
      "GitHub private key": GITHUB_KEY_BODY,
      "GitHub webhook secret": GITHUB_WEBHOOK_SECRET,
      "TAP token": TAP_TOKEN,
      "gateway bearer token": GATEWAY_TOKEN,
      "gateway delegated token": GATEWAY_DELEGATED,
      "wrong token presented": WRONG_TOKEN,
    };
    const minted = troop.scrubber.seen.filter((s) => !Object.values(named).includes(s) && s !== GITHUB_PRIVATE_KEY);
    expect(minted.length, "bot tokens minted").toBeGreaterThanOrEqual(4);
    const canaries = { ...named, ...Object.fromEntries(minted.map((t, i) => [`bot token ${i}`, t])) };
    const database = troop.container.config.database;
    const dataDir = dataDirOf(troop.container.config);
    const sources = [
      ...troop.responses.map((text, i) => ({ where: `response ${i}`, text })),
      ...troop.logs.map((text, i) => ({ where: `log line ${i}`, text })),
      ...slackPayloads(),
      ...databaseRows(database),
      ...fileSources(dataDir),
    ];
    expect(troop.responses.length).toBeGreaterThan(100);
    expect(troop.logs.length).toBeGreaterThan(50);
    expect(receiver.messages.length).toBeGreaterThanOrEqual(1);
    expect(sources.filter((s) => s.where.startsWith("table executions")).length).toBeGreaterThanOrEqual(4);
    expect(sources.filter((s) => s.where.startsWith("file /artifacts")).length).toBeGreaterThanOrEqual(1);
    expect(findSecrets(canaries, sources)).toEqual([]);
    // The notebook printed the TAP token: the executed notebook kept shows the redaction instead.
    const redacted = sources.filter((s) => s.text.includes("LEAKMARK [REDACTED]")).map((s) => s.where);
    expect(redacted.some((w) => w.startsWith("file /artifacts")), redacted.join(", ")).toBe(true);
  }, 420_000);
});
