import { parseArgs } from "node:util";
import { startBot, startConsole } from "../bot.ts";
import { loadConfig, missingSlackCredentials, startMode } from "../config.ts";
import { log, registerSecrets, setLogLevel } from "../log.ts";
import { terminalWidth } from "../slack/text-renderer.ts";
import { terminalLogLevel, type CliCommand } from "./cli-command.ts";

/** `embedops start`: the bot over Slack, or the local console when no Slack credentials are set. */
export const start: CliCommand = {
  name: "start",
  usage: "embedops start [--as EMAIL] [--demo]",
  summary: "Run the bot (Socket Mode, HTTP mode, or the local console without Slack credentials).",
  async run(args, io) {
    const { values } = parseArgs({ args, options: { as: { type: "string" }, demo: { type: "boolean" } }, strict: true });
    const config = loadConfig(io.env);
    setLogLevel(config.logLevel);
    registerSecrets([config.slackBotToken, config.slackSigningSecret, config.slackAppToken, config.runsApiSecret, config.runnerSigningSecret]);
    // A partial set of Slack variables is a broken deploy, never a reason to fall back to the console.
    if (startMode(config) === "console") {
      // At a terminal, answers are what matters; the bot's JSON logs stay for LOG_LEVEL=info.
      setLogLevel(terminalLogLevel(io.env, config.logLevel));
      if (config.production) {
        io.stderr.write(`embedops: NODE_ENV=production needs Slack credentials; missing ${missingSlackCredentials(config).join(", ")}\n`);
        return 1;
      }
      const interactive = Boolean((io.stdin as { isTTY?: boolean }).isTTY);
      if (interactive) io.stdout.write("No Slack credentials set: starting the local console.\n");
      await startConsole(config, { as: values.as, demo: values.demo, input: io.stdin, output: io.stdout, interactive, width: terminalWidth(io.env, io.stdout as { isTTY?: boolean; columns?: number }) });
      return 0;
    }
    // A promise no one awaited, rejected inside one request or job, is logged; it never ends the bot.
    process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection (the bot goes on)"));
    const bot = await startBot(config);
    const signal = await new Promise<string>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    });
    log.info({ signal }, "shutting down");
    // A second signal means "now": whatever is still in flight is dropped.
    const now = (second: string) => {
      log.warn({ signal: second }, "second signal: stopping at once");
      process.exit(1);
    };
    process.once("SIGTERM", now);
    process.once("SIGINT", now);
    await bot.stop();
    // Idle keep-alive sockets of HTTP clients must not hold the process up once everything is closed.
    setTimeout(() => process.exit(0), 1_000).unref();
    return 0;
  },
};
