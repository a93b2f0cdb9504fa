import { parseArgs } from "node:util";
import { startConsole } from "../bot.ts";
import { loadConfig } from "../config.ts";
import { setLogLevel } from "../log.ts";
import { terminalWidth } from "../slack/text-renderer.ts";
import { terminalLogLevel, type CliCommand } from "./cli-command.ts";

/** `embedops console [--as EMAIL]`: the local console, whatever credentials are set. */
export const consoleCommand: CliCommand = {
  name: "console",
  usage: "embedops console [--as EMAIL] [--demo]",
  summary: "Read commands from standard input and answer them as text.",
  async run(args, io) {
    const { values } = parseArgs({ args, options: { as: { type: "string" }, demo: { type: "boolean" } }, strict: true });
    const config = loadConfig(io.env);
    setLogLevel(terminalLogLevel(io.env, config.logLevel));
    const interactive = Boolean((io.stdin as { isTTY?: boolean }).isTTY);
    await startConsole(config, { as: values.as, demo: values.demo, input: io.stdin, output: io.stdout, interactive, width: terminalWidth(io.env, io.stdout as { isTTY?: boolean; columns?: number }) });
    return 0;
  },
};
