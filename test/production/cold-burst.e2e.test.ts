import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/bot.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { postSigned, slashCommandForm, TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { parseLine, spawnBot } from "./support.ts";

let testDb: TestDatabase;
let slack: FakeSlackApi;
const children: Array<{ kill(signal: NodeJS.Signals): boolean }> = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "burst_int" }]);
  await db.close();
  slack = await new FakeSlackApi().start();
  for (const who of Object.values(WORLD.operators)) slack.emails.set(who.slack, who.email);
  slack.usergroups.set(WORLD.oncallGroup, [WORLD.operators.oncall.slack]);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await slack?.stop();
  await testDb?.drop();
});

/** Connections other than the asker's to the test's PostgreSQL database. */
async function openConnections(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

// Behaviour, not a timing figure: how fast the acks come is measured by `npm run bench` (section 11, warm start).
describe(`a burst of commands at a just-started bot on ${TEST_DIALECT}`, () => {
  it("is warmed before it listens, and acks and answers 50 slash commands sent at once the moment it is up", async () => {
    const bot = await spawnBot({ SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, SLACK_API_URL: slack.url, DATABASE_URL: testDb.url });
    children.push(bot.child);
    const up = Date.now();
    // Warmed before it listened: the Web API connection (and the identity lookups, in the log line's word).
    const lines = bot.stderr.map(parseLine);
    const warmed = lines.findIndex((entry) => entry?.msg === "warmed up: database pool, Slack connection, identity");
    expect(warmed).toBeGreaterThanOrEqual(0);
    expect(warmed).toBeLessThan(lines.findIndex((entry) => entry?.msg === "embedops is up"));
    expect(slack.callsTo("auth.test").some((call) => call.at! <= up)).toBe(true);
    // On PostgreSQL the pool's connections are open already (SQLite has one connection).
    if (TEST_DIALECT === "postgres") expect(await openConnections(testDb.url)).toBeGreaterThanOrEqual(10);

    const users = Object.values(WORLD.operators).filter((who) => who !== WORLD.operators.nobody);
    const acks = await Promise.all(
      Array.from({ length: 50 }, async (_, n) => {
        const started = performance.now();
        const answer = await postSigned(bot.baseUrl, slashCommandForm(n % 2 ? "list" : "help", users[n % users.length]!.slack, slack.responseUrl(`burst-${n}`)));
        expect(answer.status).toBe(200);
        return performance.now() - started;
      }),
    );
    // Every command answered on its own response_url, with what it asked for.
    const answers = await eventually(() => {
      const got = new Map(slack.responses.filter((r) => r.method.startsWith("/response/burst-")).map((r) => [r.method.slice("/response/burst-".length), JSON.stringify(r.body)]));
      return got.size === 50 ? got : undefined;
    }, 30_000);
    for (let n = 0; n < 50; n++) {
      const body = answers.get(String(n))!;
      if (n % 2) expect(body).toContain("burst_int");
      else expect(body).toContain("whoami");
    }
    // The user group's members were asked once for the whole burst: concurrent requests share one read, then the cache.
    expect(slack.callsTo("usergroups.users.list")).toHaveLength(1);
    acks.sort((a, b) => a - b);
    console.log(`50 commands at a just-started bot on ${TEST_DIALECT}: ack median ${acks[24]!.toFixed(0)} ms, max ${acks[49]!.toFixed(0)} ms`);
    bot.child.kill("SIGTERM");
    await bot.exited;
  }, 90_000);
});
