import { startBot, type BotHandle } from "../../src/bot.ts";
import type { BatchWorkerTiming } from "../../src/batches/worker.ts";
import type { Clock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { addIntegrations, loadWorld, WORLD, type IntegrationSeed } from "./fixtures.ts";
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
export async function startTestBot(databaseUrl: string, env: Record<string, string> = {}, options: Parameters<typeof startBot>[1] = {}): Promise<TestBot> {
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

/** A test database holding the fixture world, and the real bot started on it. */
interface WorldBot {
  testDb: TestDatabase;
  t: TestBot;
  /** Stops the bot and drops the database. */
  stop(): Promise<void>;
}

/**
 * Creates a test database with the fixture world and `integrations`, lets `prepare` add to it, and starts the bot
 * on it, with every fixture operator's email known to the Slack stand-in. With `flowEngineUrl`, every Embed Flow
 * is triggered there.
 */
export async function startWorldBot(
  options: {
    env?: Record<string, string>;
    integrations?: IntegrationSeed[];
    flowEngineUrl?: string;
    prepare?(db: Database): Promise<void>;
    bot?: { clock?: Clock; batchTiming?: Partial<BatchWorkerTiming> };
  } = {},
): Promise<WorldBot> {
  const testDb = await createTestDatabase();
  const db = await testDb.open();
  try {
    await loadWorld(db);
    if (options.flowEngineUrl) await db.models.EmbedFlow.update({ triggerUrl: `${options.flowEngineUrl}/run` }, { where: {} });
    await addIntegrations(db, options.integrations ?? [{ id: "int_1" }]);
    await options.prepare?.(db);
  } finally {
    await db.close();
  }
  const t = await startTestBot(testDb.url, options.env, options.bot);
  for (const who of Object.values(WORLD.operators)) t.slack.emails.set(who.slack, who.email);
  return {
    testDb,
    t,
    async stop() {
      await t.stop();
      await testDb.drop();
    },
  };
}
