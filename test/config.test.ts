import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, missingSlackCredentials, slackMode } from "../src/config.ts";

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has the contract's defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      slashCommand: "/integrations",
      port: 3000,
      databaseUrl: "sqlite:data/embedops.sqlite",
      housekeepingCron: "0 9 * * 1-5",
      alertsCron: "* * * * *",
      retentionCron: "30 3 * * *",
      timeZone: "UTC",
      staleAfterDays: 30,
      failingAfterErrors: 3,
      failingErrorRate: 0.95,
      incidentMinAffected: 3,
      incidentWindowMinutes: 60,
      autoDisableAfterDays: undefined,
      allowedChannels: undefined,
      runRetentionDays: 90,
      pricePerRun: 0,
      currency: "EUR",
      runnerTimeoutMs: 10000,
    });
  });

  it("counts an empty variable as unset", () => {
    expect(loadConfig({ PORT: "", STALE_AFTER_DAYS: "  ", AUTO_DISABLE_AFTER_DAYS: "" })).toMatchObject({ port: 3000, staleAfterDays: 30, autoDisableAfterDays: undefined });
  });

  it("parses lists and numbers", () => {
    const config = loadConfig({ ADMIN_EMAILS: "Ada@Example.com, bob@example.com,", ALLOWED_CHANNELS: "C1,C2", PRICE_PER_RUN: "0.002", AUTO_DISABLE_AFTER_DAYS: "14" });
    expect(config.adminEmails).toEqual(["ada@example.com", "bob@example.com"]);
    expect(config.allowedChannels).toEqual(["C1", "C2"]);
    expect(config.pricePerRun).toBe(0.002);
    expect(config.autoDisableAfterDays).toBe(14);
  });

  it.each([
    ["PORT", "http", /PORT: "http" is not valid: accepts a port number/],
    ["HOUSEKEEPING_CRON", "every morning", /HOUSEKEEPING_CRON: .*not a valid cron expression/],
    ["TZ", "Mars/Olympus", /TZ: .*IANA time zone/],
    ["FAILING_ERROR_RATE", "1.5", /FAILING_ERROR_RATE: .*at most 1/],
    ["STALE_AFTER_DAYS", "-3", /STALE_AFTER_DAYS: .*above 0/],
    ["INCIDENT_MIN_AFFECTED", "1", /INCIDENT_MIN_AFFECTED: .*at least 2/],
    ["INCIDENT_WINDOW_MINUTES", "0", /INCIDENT_WINDOW_MINUTES: .*above 0/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL: .*sqlite:PATH/],
    ["CURRENCY", "euro", /CURRENCY: .*ISO 4217/],
    ["SLACK_API_URL", "not a url", /SLACK_API_URL/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL: .*info/],
  ])("refuses a bad %s, naming it", (variable, value, expected) => {
    const error = errorOf({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(expected);
  });

  it("chooses the Slack mode from the credentials", () => {
    expect(slackMode(loadConfig({}))).toBe("console");
    expect(slackMode(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" }))).toBe("http");
    expect(slackMode(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }))).toBe("socket");
    expect(missingSlackCredentials(loadConfig({}))).toEqual(["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)"]);
  });
});
