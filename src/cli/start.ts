import { parseArgs } from "node:util";
import { startBot, startConsole } from "../bot.ts";
import { loadConfig, missingSlackCredentials, slackMode } from "../config.ts";
import { log, setLogLevel } from "../log.ts";
import type { CliCommand } from "./cli-command.ts";

/** `embedops start`: the bot over Slack, or the local console when no Slack credentials are set. */
export const start: CliCommand = {
  name: "start",
  usage: "embedops start [--as EMAIL]",
  summary: "Run the bot (Socket Mode, HTTP mode, or the local console without Slack credentials).",
  async run(args, io) {
    const { values } = parseArgs({ args, options: { as: { type: "string" } }, strict: true });
    const config = loadConfig(io.env);
    setLogLevel(config.logLevel);
    if (slackMode(config) === "console") {
      if (config.production) {
        io.stderr.write(`embedops: NODE_ENV=production needs Slack credentials; missing ${missingSlackCredentials(config).join(", ")}\n`);
        return 1;
      }
      const interactive = Boolean((io.stdin as { isTTY?: boolean }).isTTY);
      if (interactive) io.stdout.write("No Slack credentials set: starting the local console.\n");
      await startConsole(config, { as: values.as, input: io.stdin, output: io.stdout, interactive });
      return 0;
    }
    const bot = await startBot(config);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info({ signal }, "shutting down");
        resolve();
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    await bot.stop();
    return 0;
  },
};
