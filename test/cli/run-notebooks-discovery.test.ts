/**
 * `troop run-notebooks --discovery-url` (and TROOP_DISCOVERY_URL) as a process: a notebook runs
 * when its required applications are in `--available-applications` ∪ the discovery document's
 * `applications`, and is skipped otherwise; a document that cannot be had (HTTP error, not
 * JSON, wrong shape, nothing listening) stops the command with one line on stderr and exit 2,
 * before any lab is spawned. The failure cases need no hub: they end before it is contacted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { troop, type CliResult } from "../support/cli-process.js";
import { repertoireDocument, startDiscoveryServer, type DiscoveryServer } from "../support/discovery-server.js";
import { createTestRepo, notebook, type TestRepo } from "../support/notebook-repo.js";

const hub = inject("hub");
const code = (source: string) => ({ cell_type: "code" as const, source });
const needs = (...apps: string[]) => notebook([code("print('ok')")], { mobu: { required_applications: apps } });

/** Stopped before anything ran: exit 2, one line on stderr that says why, no stack trace, no notebook selected. */
function expectDiscoveryFailure(r: CliResult, reason: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^troop run-notebooks: [^\n]+\n$/);
  expect(r.stderr).toMatch(reason);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).not.toContain("selected");
}

describe("troop run-notebooks with service discovery", () => {
  let discovery: DiscoveryServer;
  let repo: TestRepo;
  const env = { TROOP_HUB_ADMIN_TOKEN: "not-used-admin-token" };
  const args = () => ["run-notebooks", repo.work, "--hub", "http://127.0.0.1:9/hub", "--user", "bot-cli-discovery"];

  beforeAll(async () => {
    discovery = await startDiscoveryServer();
    repo = createTestRepo({ "a.ipynb": needs("tap") });
  });
  afterAll(() => discovery.close());

  it("exits 2 with the HTTP status when the discovery URL answers an error", async () => {
    discovery.mode = "500";
    const r = await troop([...args(), "--discovery-url", discovery.url], env);
    expectDiscoveryFailure(r, /service discovery: GET http:\/\/127\.0\.0\.1:\d+\/repertoire\/discovery answered HTTP 500/);
  });

  it("exits 2 when the discovery URL answers something that is not JSON", async () => {
    discovery.mode = "garbage";
    const r = await troop([...args(), "--discovery-url", discovery.url], env);
    expectDiscoveryFailure(r, /service discovery: GET http:\/\/127\.0\.0\.1:\d+\/repertoire\/discovery: .*JSON/);
  });

  it("exits 2 naming the bad field when the document is not a discovery document", async () => {
    discovery.mode = "ok";
    discovery.doc = { applications: "tap" };
    const r = await troop([...args(), "--discovery-url", discovery.url], env);
    expectDiscoveryFailure(r, /service discovery: http:\/\/127\.0\.0\.1:\d+\/repertoire\/discovery: not a discovery document: applications: /);
  });

  it("exits 2 when nothing listens at the discovery URL, without showing its query string", async () => {
    const gone = await startDiscoveryServer();
    await gone.close();
    const r = await troop([...args(), "--discovery-url", `${gone.url}?token=q5ecret`], env);
    expectDiscoveryFailure(r, /service discovery: GET http:\/\/127\.0\.0\.1:\d+\/repertoire\/discovery failed: .*ECONNREFUSED/);
    expect(r.stderr).not.toContain("q5ecret");
  });

  it("exits 2 for a discovery URL with credentials (fetch cannot send them), without showing them", async () => {
    const url = discovery.url.replace("http://", "http://user:s3cret@");
    const r = await troop([...args(), "--discovery-url", `${url}?token=q5ecret`], env);
    expectDiscoveryFailure(r, /service discovery: GET http:\/\/\*\*\*@127\.0\.0\.1:\d+\/repertoire\/discovery failed: .*credentials/);
    expect(r.stderr).not.toMatch(/s3cret|q5ecret/);
  });

  it("reads the discovery URL from TROOP_DISCOVERY_URL when --discovery-url is not given", async () => {
    discovery.mode = "500";
    const before = discovery.fetches;
    const r = await troop(args(), { ...env, TROOP_DISCOVERY_URL: discovery.url });
    expectDiscoveryFailure(r, /answered HTTP 500/);
    expect(discovery.fetches).toBe(before + 1);
  });

  it("exits 2 for a discovery URL that is not a URL, naming where it came from", async () => {
    expectDiscoveryFailure(await troop([...args(), "--discovery-url", "not a url"], env), /: discoveryUrl: Invalid URL/);
    expectDiscoveryFailure(await troop(args(), { ...env, TROOP_DISCOVERY_URL: "nope" }), /: environment TROOP_DISCOVERY_URL: Invalid URL/);
  });

  it.skipIf(!hub)(
    "runs notebooks whose applications are in the document or --available-applications and skips the others",
    async () => {
      discovery.mode = "ok";
      discovery.doc = repertoireDocument(discovery.base, { applications: ["nublado", "tap"] });
      const local = createTestRepo({ "tap.ipynb": needs("tap"), "sia.ipynb": needs("sia"), "both.ipynb": needs("tap", "sia"), "portal.ipynb": needs("tap", "portal") });
      const r = await troop(["run-notebooks", local.work, "--hub", hub.url, "--user", "bot-cli-discovery", "--available-applications", "sia", "--discovery-url", discovery.url], { TROOP_HUB_ADMIN_TOKEN: hub.adminToken });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^2 applications from http:\/\/127\.0\.0\.1:\d+\/repertoire\/discovery: nublado, tap\n4 notebooks selected/);
      expect(r.stdout).toContain("SKIP portal.ipynb (0.0 s): portal.ipynb requires portal, which this deployment does not have");
      expect(r.stdout).toContain("3 passed, 0 failed, 1 skipped");
    },
    240_000,
  );
});
