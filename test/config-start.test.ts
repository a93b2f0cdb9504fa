import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, startMode, withDotEnv } from "../src/config.ts";
import { CLI_COMMANDS } from "../src/cli/index.ts";

const dir = mkdtempSync(join(tmpdir(), "embedops-dotenv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dotEnv(text: string, env: Record<string, string | undefined> = {}) {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.env`);
  writeFileSync(path, text);
  return withDotEnv(env, path);
}

describe("startMode", () => {
  it("is Socket Mode with bot and app token (a signing secret beside them changes nothing), HTTP mode with bot token and signing secret, the console with none", () => {
    expect(startMode(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }))).toBe("socket");
    expect(startMode(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1", SLACK_SIGNING_SECRET: "s" }))).toBe("socket");
    expect(startMode(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" }))).toBe("http");
    expect(startMode(loadConfig({ SLACK_BOT_TOKEN: " ", SLACK_APP_TOKEN: "" }))).toBe("console");
  });

  it.each([
    [{ SLACK_APP_TOKEN: "xapp-1" }, "SLACK_BOT_TOKEN"],
    [{ SLACK_SIGNING_SECRET: "s" }, "SLACK_BOT_TOKEN"],
    [{ SLACK_APP_TOKEN: "xapp-1", SLACK_SIGNING_SECRET: "s" }, "SLACK_BOT_TOKEN"],
    [{ SLACK_BOT_TOKEN: "xoxb-1" }, "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)"],
  ])("refuses %o, naming %s", (env, missing) => {
    const error = (() => {
      try {
        startMode(loadConfig(env));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(missing);
    // Each part of the explanation once.
    expect((error as Error).message.match(/unset all three for the local console/g)).toHaveLength(1);
  });
});

describe("withDotEnv", () => {
  it("reads NAME=value lines, comments, export, quotes and values over several lines; the environment wins", () => {
    const env = dotEnv('# comment\n\nPORT=4000\nexport TZ="Europe/Berlin"\nADMIN_EMAILS=a@example.com # trailing\nMULTI="one\ntwo"\nSLASH_COMMAND=/ops\n', { SLASH_COMMAND: "/from-env" });
    expect(env.PORT).toBe("4000");
    expect(env.TZ).toBe("Europe/Berlin");
    expect(env.ADMIN_EMAILS).toBe("a@example.com");
    expect(env.MULTI).toBe("one\ntwo");
    expect(env.SLASH_COMMAND).toBe("/from-env");
  });

  it("names the bad line", () => {
    expect(() => dotEnv("PORT=1\nNOT A LINE\n")).toThrow(/line 2 is not NAME=value: "NOT A LINE"/);
    expect(() => dotEnv('A="never closed\n')).toThrow(/never closed/);
    expect(() => dotEnv("1BAD=x\n")).toThrow(/line 1/);
  });

  it("leaves the environment as it is without a file", () => {
    const env = { A: "1" };
    expect(withDotEnv(env, join(dir, "missing.env"))).toBe(env);
  });
});

describe("the CLI's command list", () => {
  it("says for each command what the command itself says", async () => {
    for (const entry of CLI_COMMANDS) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.usage).toBe(entry.usage);
      expect(command.summary).toBe(entry.summary);
    }
  }, 60_000);
});
