import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureCli } from "../support/cli.ts";
import type { Database } from "../../src/data/database.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";

let testDb: TestDatabase;
let db: Database;
let slack: FakeSlackApi;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  // Activated in 2020 and never ran: stale whatever today is.
  await addIntegrations(db, [{ id: "hk_never", name: "Forgotten sync", createdAt: new Date("2020-01-01T00:00:00Z") }]);
  slack = await new FakeSlackApi().start();
});

afterAll(async () => {
  await slack?.stop();
  await db?.close();
  await testDb?.drop();
});

async function cli(env: Record<string, string>, ...argv: string[]) {
  const result = await captureCli(argv, { DATABASE_URL: testDb.url, ...env });
  // Models are bound to the last opened connection: the CLI's closed one now, so open ours again.
  await db.close();
  db = await testDb.open();
  return result;
}

describe("embedops job", () => {
  it("prints the housekeeping report as text with --dry-run, and posts and remembers nothing", async () => {
    const { code, out } = await cli({ SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: slack.url }, "job", "housekeeping-report", "--dry-run");
    expect(code).toBe(0);
    expect(out).toContain("would post to #HOUSEKEEPING_CHANNEL");
    expect(out).toContain("Housekeeping: 0 failing, 1 stale");
    expect(out).toContain("Forgotten sync");
    // PRICE_PER_RUN unset: runs are counted, money is not made up.
    expect(out).toContain("Set PRICE_PER_RUN to see what they cost");
    expect(out).not.toContain("EUR ·");
    expect(out).toContain("[Disable] /integrations disable hk_never");
    expect(out).toMatch(/\[dry run\] housekeeping report: 0 failing, 1 stale/);
    expect(slack.calls).toHaveLength(0);
    expect(await db.models.HousekeepingFinding.count()).toBe(0);
  });

  it("posts to HOUSEKEEPING_CHANNEL without --dry-run and prints a summary", async () => {
    const { code, out } = await cli({ SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: slack.url, HOUSEKEEPING_CHANNEL: "C0HOUSE" }, "job", "housekeeping-report");
    expect(code).toBe(0);
    expect(out).toMatch(/^housekeeping report: 0 failing, 1 stale, 0 overdue \(1 new\).*1 message\(s\) to C0HOUSE/);
    const posts = slack.callsTo("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body.channel).toBe("C0HOUSE");
    expect(await db.models.HousekeepingFinding.count()).toBe(1);
  });

  it("says in one line that a job does not exist, and exits non-zero", async () => {
    const { code, out, err } = await cli({}, "job", "tidy-up");
    expect(code).not.toBe(0);
    expect(out).toBe("");
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain('No job "tidy-up"; the jobs are housekeeping-report, run-retention');
  });

  it("refuses to post without a bot token, naming what is missing", async () => {
    const { code, err } = await cli({ HOUSEKEEPING_CHANNEL: "C0HOUSE" }, "job", "housekeeping-report");
    expect(code).toBe(1);
    expect(err).toContain("SLACK_BOT_TOKEN is not set");
  });
});
