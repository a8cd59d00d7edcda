/**
 * Config of results (issue 4): defaults, the TROOP_SLACK_WEBHOOK_URL override, located problems.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigText } from "../../src/config/load.js";

function problems(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    loadConfigText(text, "t.yaml", env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.file}:${p.line ?? "-"} ${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error("unexpectedly valid");
}

describe("results config", () => {
  it("has defaults for history, slack and metrics", () => {
    const { config } = loadConfigText("{}", "t.yaml", {});
    expect(config.history).toEqual({ maxAge: 30 * 86_400_000, maxRows: 1_000_000, flushInterval: 500, queueLimit: 100_000, pruneInterval: 600_000 });
    expect(config.slack).toEqual({ alerts: true, threshold: 1, repeatWindow: 3_600_000, dailyReport: "09:00", queueSize: 100, maxAttempts: 5, retryDelay: 1000, timeout: 10_000 });
    expect(config.metrics).toEqual({ enabled: true, public: false });
    expect(config.publicBaseUrl).toBeUndefined();
    expect(Object.isFrozen(config.slack)).toBe(true);
  });

  it("takes the Slack webhook URL from TROOP_SLACK_WEBHOOK_URL", () => {
    const { config } = loadConfigText("slack: { threshold: 3 }\n", "t.yaml", { TROOP_SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x" });
    expect(config.slack).toMatchObject({ webhookUrl: "https://hooks.slack.com/services/T/B/x", threshold: 3 });
    expect(problems("{}", { TROOP_SLACK_WEBHOOK_URL: "not a url" })).toEqual([expect.stringMatching(/^environment TROOP_SLACK_WEBHOOK_URL:- slack\.webhookUrl: /)]);
  });

  it("locates every problem of the results keys", () => {
    const text = "publicBaseUrl: nowhere\nhistory:\n  maxRows: 10\n  maxAge: soon\nslack:\n  dailyReport: '9am'\n  threshold: 0\nmetrics:\n  scrape: true\n";
    expect(problems(text).sort()).toEqual([
      expect.stringMatching(/^t\.yaml:1 publicBaseUrl: /),
      expect.stringMatching(/^t\.yaml:3 history\.maxRows: .*1000/),
      expect.stringMatching(/^t\.yaml:4 history\.maxAge: expected a duration/),
      expect.stringMatching(/^t\.yaml:6 slack\.dailyReport: expected a UTC time of day/),
      expect.stringMatching(/^t\.yaml:7 slack\.threshold: /),
      expect.stringMatching(/^t\.yaml:9 metrics\.scrape: unknown key "scrape"/),
    ]);
  });
});
