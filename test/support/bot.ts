import { startBot, type BotHandle } from "../../src/bot.ts";
import type { BatchWorkerTiming } from "../../src/batches/worker.ts";
import type { Clock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { FakeSlackApi } from "./slack-api.ts";
import { TEST_SIGNING_SECRET } from "./slack-request.ts";

/** A bot in HTTP mode on a free port, talking to a local Web API stand-in. */
export interface TestBot {
  bot: BotHandle;
  slack: FakeSlackApi;
  baseUrl: string;
  stop(): Promise<void>;
}

/** Starts the real bot (Bolt HTTP receiver, HTTP server, schedules) against the given database URL. */
export async function startTestBot(databaseUrl: string, env: Record<string, string> = {}, options: { clock?: Clock; batchTiming?: Partial<BatchWorkerTiming> } = {}): Promise<TestBot> {
  const slack = await new FakeSlackApi().start();
  const config = loadConfig({
    SLACK_BOT_TOKEN: "xoxb-test-token",
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    PORT: "0",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "silent",
    ...env,
  });
  const bot = await startBot(config, options);
  return {
    bot,
    slack,
    baseUrl: `http://127.0.0.1:${bot.port}`,
    async stop() {
      await bot.stop();
      await slack.stop();
    },
  };
}

/** Waits until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
