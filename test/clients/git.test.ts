import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GitError, shallowCheckout } from "../../src/clients/git.js";
import { tokenHeader } from "../../src/services/github/check-runner.js";

describe("git credentials", () => {
  const dir = mkdtempSync(join(tmpdir(), "troop-git-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sends the installation token as an HTTP header, not in the URL, and never names it in the error", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404).end("no such repository");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const token = "ghs_canaryInstallationToken0123456789";
    try {
      const err = await shallowCheckout({ url: `http://127.0.0.1:${port}/org/repo.git`, ref: "main", dir: join(dir, "c"), header: tokenHeader(token) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitError);
      expect(String((err as Error).message)).not.toContain(token);
    } finally {
      server.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    const auth = seen[0]!.authorization ?? "";
    expect(Buffer.from(auth.replace(/^Basic /, ""), "base64").toString()).toBe(`x-access-token:${token}`);
    expect(seen[0]!.host).toBe(`127.0.0.1:${port}`);
  });
});
