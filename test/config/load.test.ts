import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigFile, loadConfigText, type ConfigProblem } from "../../src/config/load.js";
import { parseDuration } from "../../src/config/duration.js";

const data = (name: string) => new URL(`../data/configs/${name}`, import.meta.url).pathname;

function problems(file: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    loadConfigFile(data(file), env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`${file} unexpectedly valid`);
}

describe("service config", () => {
  it.each(["seed-python.yaml", "seed-notebook-users.yaml", "seed-notebook-user-spec.yaml", "seed-tap.yaml"])(
    "accepts the operator guide example %s unchanged",
    (file) => {
      const { config } = loadConfigFile(data(file), {});
      expect(config.autostart).toHaveLength(1);
    },
  );

  it("warns that old business names and the older TAPQueryRunner form are deprecated", () => {
    expect(loadConfigFile(data("seed-python.yaml"), {}).warnings[0]?.message).toMatch(/JupyterPythonLoop is an old name; use NubladoPythonLoop/);
    const tap = loadConfigFile(data("seed-tap.yaml"), {}).warnings;
    expect(tap.map((w) => [w.path, w.message])).toEqual([
      ["autostart[0].business.options.dataset", expect.stringMatching(/no TAP URL for dataset dp02: set tap.url \(TROOP_TAP_URL\)/)],
      ["autostart[0].business.options.query_set", expect.stringMatching(/older form of TAPQuerySetRunner/)],
    ]);
    expect(loadConfigFile(data("seed-tap.yaml"), { TROOP_TAP_URL: "http://127.0.0.1:9/tap" }).warnings).toHaveLength(1);
  });

  it.each([
    ["bad-max-executions.yaml", 9, "autostart[0].business.options.max_executions", /expected number/],
    ["bad-unknown-key.yaml", 10, "autostart[0].business.options.cod", /unknown key "cod"/],
    ["bad-count-mismatch.yaml", 4, "autostart[0].users", /count is 2 but 1 users/],
    ["bad-username.yaml", 5, "autostart[0].users[0].username", /must begin with bot-/],
    ["bad-business-type.yaml", 7, "autostart[0].business.type", /expected one of: EmptyLoop, NubladoPythonLoop/],
    ["bad-duration.yaml", 9, "autostart[0].business.options.idle_time", /expected a duration/],
    ["bad-users-and-spec.yaml", 6, "autostart[0].user_spec", /not both/],
  ])("locates the problem in %s at line %i, path %s", (file, line, path, message) => {
    const [p, ...rest] = problems(file);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ file: data(file), line, path });
    expect(p!.message).toMatch(message);
  });

  it("reports a YAML syntax error with its line", () => {
    const [p] = problems("bad-syntax.yaml");
    expect(p!.path).toBe("(syntax)");
    expect(p!.line).toBeGreaterThan(0);
  });

  it("lets the public environment variables override the file", () => {
    const env = { TROOP_HUB_URL: "http://127.0.0.1:9999", TROOP_HUB_ADMIN_TOKEN: "admin-secret-1", TROOP_API_TOKEN: "a".repeat(20), TROOP_PORT: "9000", TROOP_DATABASE: "/tmp/x.sqlite" };
    const { config } = loadConfigText("port: 8080\nhub:\n  url: http://example.org\n", "c.yaml", env);
    expect(config).toMatchObject({ port: 9000, database: "/tmp/x.sqlite", apiToken: "a".repeat(20), hub: { url: "http://127.0.0.1:9999", adminToken: "admin-secret-1" } });
  });

  it("names the environment variable when an override is invalid", () => {
    expect(() => loadConfigText("{}", "c.yaml", { TROOP_PORT: "eighty" })).toThrow(/environment TROOP_PORT: port: .*expected number/);
  });

  it("freezes the loaded config", () => {
    const { config } = loadConfigText("port: 1234\n", "c.yaml", {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.hub)).toBe(true);
  });

  it("rejects duplicate autostart flock names", () => {
    const text = "autostart:\n  - {name: a, count: 1, user_spec: {username_prefix: bot-a}, business: {type: EmptyLoop}}\n  - {name: a, count: 1, user_spec: {username_prefix: bot-b}, business: {type: EmptyLoop}}\n";
    expect(() => loadConfigText(text, "c.yaml", {})).toThrow(/c.yaml:3:\d+: autostart\[1\].name: duplicate flock name a/);
  });
});

describe("durations", () => {
  it.each([
    ["5m30s", 330_000],
    ["10s", 10_000],
    ["1h", 3_600_000],
    ["250ms", 250],
    ["90", 90_000],
    ["1.5", 1500],
    ["1h2m3s", 3_723_000],
  ])("parses %s", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "five", "5x", "m5", "5m 30"])("refuses %j", (text) => {
    if (text === "5m 30") expect(parseDuration(text)).toBe(null);
    else expect(parseDuration(text)).toBe(null);
  });
});
