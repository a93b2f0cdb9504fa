/**
 * The real bot in HTTP mode, as `npm start` runs it, in a process of its own so its resident memory is its own.
 * Started by the harness (bench/child.ts) with the environment that configures it.
 */
import { startBot } from "../src/bot.ts";
import { loadConfig } from "../src/config.ts";
import { registerSecrets, setLogLevel } from "../src/log.ts";
import { failStart, serveHarness } from "./child-protocol.ts";

try {
  const config = loadConfig(process.env);
  setLogLevel(config.logLevel);
  registerSecrets([config.slackBotToken, config.slackSigningSecret, config.runsApiSecret]);
  const bot = await startBot(config);
  serveHarness(bot.port, () => bot.stop());
} catch (error) {
  failStart(error);
}
