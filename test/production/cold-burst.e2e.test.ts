import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { postSigned, slashCommandForm, TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { spawnBot } from "./support.ts";

let testDb: TestDatabase;
let slack: FakeSlackApi;
const children: Array<{ kill(signal: NodeJS.Signals): boolean }> = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await db.close();
  slack = await new FakeSlackApi().start();
  for (const who of Object.values(WORLD.operators)) slack.emails.set(who.slack, who.email);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await slack?.stop();
  await testDb?.drop();
});

// Measured where Slack's 3 s mattered: PostgreSQL (on SQLite every statement waits for the one connection).
describe.skipIf(TEST_DIALECT !== "postgres")(`a burst of commands at a just-started bot on ${TEST_DIALECT}`, () => {
  it("acks 50 slash commands sent at once, the moment it is up, each within 3 s", async () => {
    const bot = await spawnBot({ SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, SLACK_API_URL: slack.url, DATABASE_URL: testDb.url });
    children.push(bot.child);
    const users = Object.values(WORLD.operators);
    const acks = await Promise.all(
      Array.from({ length: 50 }, async (_, n) => {
        const started = performance.now();
        const answer = await postSigned(bot.baseUrl, slashCommandForm(n % 2 ? "list" : "help", users[n % users.length]!.slack, slack.responseUrl(`burst-${n}`)));
        expect(answer.status).toBe(200);
        return performance.now() - started;
      }),
    );
    acks.sort((a, b) => a - b);
    console.log(`50 commands at a just-started bot on ${TEST_DIALECT}: ack median ${acks[24]!.toFixed(0)} ms, max ${acks[49]!.toFixed(0)} ms`);
    expect(acks[49]).toBeLessThan(3_000);
    bot.child.kill("SIGTERM");
    await bot.exited;
  }, 60_000);
});
