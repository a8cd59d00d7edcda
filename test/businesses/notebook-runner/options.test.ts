/**
 * The notebook runners' `repo_url`: credentials in it (https `user:token@`, a token as the user,
 * ssh `user:pass@host:path`) are refused with a located message that says how git gets them
 * instead, for flock specs (`troop validate`), autostart flocks in the service config and the
 * API; ssh user names (`git@github.com:org/repo.git`) stay valid.
 */
import { describe, expect, it } from "vitest";
import { urlCredentials } from "../../../src/businesses/notebook-runner/options.js";
import { ConfigError, formatProblem, loadConfigText, parseYaml, validateDocument } from "../../../src/config/load.js";
import { flockConfigSchema } from "../../../src/models/flock.js";

const TOKEN = "ghp_canaryCanary0123456789abcdef";

const spec = (url: string) => `name: nb\ncount: 1\nuser_spec: { username_prefix: bot-nb }\nbusiness:\n  type: NotebookRunnerList\n  options:\n    repo_url: ${JSON.stringify(url)}\n`;

function problems(fn: () => unknown): string[] {
  try {
    fn();
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map(formatProblem);
  }
}

describe("repo_url credentials", () => {
  it("finds a password, a user outside ssh, or nothing", () => {
    const cases: [string, ReturnType<typeof urlCredentials>][] = [
      [`https://user:${TOKEN}@github.com/org/repo.git`, "password"],
      [`https://${TOKEN}@github.com/org/repo.git`, "user"],
      [`HTTP://x-access-token:${TOKEN}@example.org:8080/repo`, "password"],
      [`  https://u:p@github.com/x`, "password"],
      ["https://github.com\\@evil.example/x.git", "user"],
      ["file://me@localhost/srv/repo.git", "user"],
      ["ssh://git:hunter2@github.com/org/repo.git", "password"],
      [`user:${TOKEN}@github.com:org/repo.git`, "password"],
      ["git@github.com:org/repo.git", null],
      ["ssh://git@github.com:22/org/repo.git", null],
      ["git+ssh://git@github.com/org/repo.git", null],
      ["github.com:org/repo.git", null],
      ["https://github.com/lsst-sqre/notebook-demo.git", null],
      ["https://github.com/org/repo@v1.git", null],
      ["https://github.com/org/a:b@c", null],
      ["git@github.com:org/a@b", null],
      ["file:///srv/repos/nbs.git", null],
      ["/srv/repos/nb@s.git", null],
    ];
    for (const [url, found] of cases) expect(urlCredentials(url), url).toBe(found);
  });

  it("refuses them in a flock spec at business.options.repo_url, with the way to give git credentials, never echoing the token", () => {
    for (const url of [`https://user:${TOKEN}@github.com/org/repo.git`, `https://${TOKEN}@github.com/org/repo.git`, `user:${TOKEN}@github.com:org/repo.git`]) {
      const found = problems(() => validateDocument(parseYaml(spec(url), "flock.yaml"), flockConfigSchema));
      expect(found, url).toHaveLength(1);
      expect(found[0]).toMatch(/^flock\.yaml:7:\d+: business\.options\.repo_url: must not contain (a password|a user or token)/);
      expect(found[0]).toContain("GIT_CONFIG_KEY_0=http.https://github.com/.extraHeader");
      expect(found[0]).not.toContain(TOKEN);
    }
    for (const url of ["git@github.com:org/repo.git", "ssh://git@github.com/org/repo.git", "https://github.com/org/repo.git"]) {
      expect(problems(() => validateDocument(parseYaml(spec(url), "flock.yaml"), flockConfigSchema)), url).toEqual([]);
    }
  });

  it("refuses them in an autostart flock of the service config, located", () => {
    const flock = spec(`https://u:${TOKEN}@github.com/org/repo.git`).replace(/^/gm, "    ").replace(/^ {4}name/, "  - name");
    const found = problems(() => loadConfigText(`autostart:\n${flock}`, "troop.yaml", { TROOP_API_TOKEN: "x".repeat(20) }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^troop\.yaml:\d+:\d+: autostart\[0\]\.business\.options\.repo_url: must not contain a password/);
    expect(found[0]).not.toContain(TOKEN);
  });
});
