/**
 * The GitHub client against the fake GitHub API: an installation token minted with the app's
 * RS256 JWT (checked by the fake against the test key), check runs created and updated, pull
 * request files over several pages, a comparison, and errors that carry no credential.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubClient, GitHubError } from "../../../src/clients/github.js";
import { startFakeGitHub, testAppKey, type FakeGitHub } from "../../support/fake-github.js";

describe("GitHub client", () => {
  let fake: FakeGitHub;
  const secrets: string[] = [];
  let client: GitHubClient;
  const ref = { installationId: 7, owner: "acme", repo: "notebooks" };
  beforeAll(async () => {
    fake = await startFakeGitHub();
    client = new GitHubClient({ appId: fake.appId, privateKey: fake.privateKey, apiUrl: fake.url, userAgent: "troop/test", onSecret: (s) => secrets.push(s) });
  });
  afterAll(async () => fake?.close());

  it("mints an installation token with a valid JWT and hands it to onSecret", async () => {
    const token = await client.installationToken(7);
    expect(token).toMatch(/^ghs_/);
    expect(secrets).toContain(token);
    expect(secrets).toContain(fake.privateKey);
    const mint = fake.requests.find((r) => r.path === "/app/installations/7/access_tokens")!;
    expect(mint.status).toBe(201);
    expect(mint.auth).toMatch(/^bearer ey/i);
  });

  it("refuses a JWT signed by another key (fake checks the signature)", async () => {
    const other = new GitHubClient({ appId: fake.appId, privateKey: testAppKey().privateKey, apiUrl: fake.url, userAgent: "troop/test", onSecret: () => undefined });
    const err = await other.installationToken(7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).status).toBe(401);
  });

  it("creates and updates a check run", async () => {
    const id = await client.createCheckRun(ref, { name: "Troop (test)", headSha: "a".repeat(40), externalId: "1" });
    await client.updateCheckRun(ref, id, { status: "in_progress", started_at: new Date().toISOString() });
    await client.updateCheckRun(ref, id, { status: "completed", conclusion: "success", completed_at: new Date().toISOString(), output: { title: "ok", summary: "all good", annotations: [{ path: "a.ipynb", start_line: 1, end_line: 1, annotation_level: "warning", message: "outputs" }] } });
    const run = fake.checkRuns.get(id)!;
    expect(run).toMatchObject({ name: "Troop (test)", status: "completed", conclusion: "success", output: { title: "ok", summary: "all good" } });
    expect(run.annotations).toHaveLength(1);
    await expect(client.updateCheckRun(ref, id, { output: { title: "t", summary: "s", annotations: Array.from({ length: 51 }, () => ({ path: "x", start_line: 1, end_line: 1, annotation_level: "warning" as const, message: "m" })) } })).rejects.toThrow(/50/);
  });

  it("lists every page of a pull request's files, and a comparison", async () => {
    const files = Array.from({ length: 230 }, (_, i) => ({ filename: `nb/${i}.ipynb`, status: "modified" as const }));
    fake.setPullFiles("acme", "notebooks", 5, files);
    const got = await client.pullRequestFiles(ref, 5);
    expect(got.map((f) => f.filename)).toEqual(files.map((f) => f.filename));
    fake.setCompare("acme", "notebooks", "b1...h1", [{ filename: "mobu.yaml", status: "modified" }]);
    expect(await client.compareFiles(ref, "b1", "h1")).toEqual([{ filename: "mobu.yaml", status: "modified", previous_filename: undefined }]);
  });

  it("turns a 404 into a GitHubError without credentials", async () => {
    const err = (await client.pullRequestFiles(ref, 999).catch((e: unknown) => e)) as GitHubError;
    expect(err).toBeInstanceOf(GitHubError);
    expect(err.status).toBe(404);
    for (const t of fake.tokens) expect(err.message).not.toContain(t);
  });
});
