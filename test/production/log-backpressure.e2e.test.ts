import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { eventually } from "../support/bot.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { postSigned, slashCommandForm, TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { parseLine, spawnBot } from "./support.ts";

const COMMANDS = 500;

let testDb: TestDatabase;
let slack: FakeSlackApi;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "int_1" }]);
  await db.close();
  slack = await new FakeSlackApi().start();
  slack.emails.set(WORLD.operators.admin.slack, WORLD.operators.admin.email);
});

afterAll(async () => {
  await slack?.stop();
  await testDb?.drop();
});

describe("logs of a real bot process whose standard error is not read", () => {
  it("keeps the bot alive and answering while 500 failing commands log big errors into a stalled pipe", async () => {
    const bot = await spawnBot({
      SLACK_BOT_TOKEN: "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: testDb.url,
    });
    // Every `list` now fails inside the database: each one logs an internal error with its statement.
    const db = await testDb.open();
    await db.sequelize.query("ALTER TABLE embed_flows RENAME TO embed_flows_gone");
    await db.close();
    // Nobody reads the bot's standard error for 5 seconds: its pipe fills up after about 64 KB.
    bot.child.stderr!.pause();
    const stalledAt = Date.now();
    // Long search words make long statements, and so long error lines.
    const words = Array.from({ length: 15 }, (_, i) => `word${i}-${"x".repeat(100)}`).join(" ");
    const acks: number[] = [];
    for (let start = 0; start < COMMANDS; start += 50) {
      const batch = Array.from({ length: Math.min(50, COMMANDS - start) }, (_, i) =>
        postSigned(bot.baseUrl, slashCommandForm(`list ${words}`, WORLD.operators.admin.slack, slack.responseUrl(`stall-${start + i}`))).then((r) => r.status),
      );
      acks.push(...(await Promise.all(batch)));
    }
    expect(acks.filter((status) => status !== 200)).toEqual([]);
    // Every command is answered while the pipe is still full.
    await eventually(() => (slack.responses.filter((r) => r.method.startsWith("/response/stall-")).length === COMMANDS ? true : undefined), 60_000);
    const elapsed = Date.now() - stalledAt;
    if (elapsed < 5_000) await new Promise((resolve) => setTimeout(resolve, 5_000 - elapsed));
    expect(bot.child.exitCode).toBeNull();
    bot.child.stderr!.resume();

    const answers = slack.responses.filter((r) => r.method.startsWith("/response/stall-"));
    expect(new Set(answers.map((r) => r.method)).size).toBe(COMMANDS);
    expect(answers.every((r) => JSON.stringify(r.body).includes("Something went wrong"))).toBe(true);

    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
    // Nothing was cut: every line is whole JSON, each failure was logged, bounded, and the last lines made it out.
    const entries = bot.stderr.map(parseLine);
    expect(entries.every((entry) => entry !== undefined), "every line is whole JSON").toBe(true);
    const failures = entries.filter((entry) => entry?.msg === "command failed");
    expect(failures).toHaveLength(COMMANDS);
    expect(Math.max(...bot.stderr.map((line) => line.length))).toBeLessThan(16_000);
    const err = failures[0]!.err as Record<string, unknown>;
    expect(err.message).toMatch(/embed_flows/);
    expect(String(err.sql)).toMatch(/…\[cut \d+ chars\]$/);
    expect(err).not.toHaveProperty("parameters");
    expect(entries.at(-1)?.msg).toBe("embedops stopped");
  }, 120_000);
});
