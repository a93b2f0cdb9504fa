import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { spawnBot } from "../production/support.ts";
import { eventually } from "../support/bot.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { TEST_SIGNING_SECRET } from "../support/slack-request.ts";

const CHANNEL = "C0ALERTS";
let testDb: TestDatabase;
let db: Database;
let slack: FakeSlackApi;
const children: Array<{ kill(signal: NodeJS.Signals): boolean }> = [];

/** 40 integrations of `prefix` that started failing a few minutes ago (real time: the bots run on the system clock). */
async function failing(prefix: string): Promise<string[]> {
  const ids = Array.from({ length: 40 }, (_, i) => `${prefix}_${String(i).padStart(2, "0")}`);
  await addIntegrations(db, ids.map((id) => ({ id })));
  const now = Date.now();
  await addRuns(db, ids.flatMap((id) => [1, 2, 3].map((n) => ({ id: `${id}_r${n}`, integrationId: id, status: "error" as const, trigger: "scheduler" as const, startedAt: new Date(now - (5 - n) * 60_000), error: "503 from Salesforce" }))), new Date(now));
  return ids;
}

/** How many alert messages each integration got. */
function alertCounts(ids: string[]): Map<string, number> {
  const counts = new Map(ids.map((id) => [id, 0]));
  for (const call of slack.callsTo("chat.postMessage")) {
    if (call.body.channel !== CHANNEL) continue;
    const id = /`([a-z_0-9]+)`/.exec(JSON.stringify(call.body.blocks))?.[1];
    if (id && counts.has(id)) counts.set(id, counts.get(id)! + 1);
  }
  return counts;
}

const env = (alertsCron: string) => ({
  SLACK_BOT_TOKEN: "xoxb-test-token",
  SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
  SLACK_API_URL: slack.url,
  DATABASE_URL: testDb.url,
  ALERTS_CHANNEL: CHANNEL,
  ALERTS_CRON: alertsCron,
  HOUSEKEEPING_CRON: "0 0 1 1 *",
  // Scaled down so the test takes seconds: four posts a second, leases of 1.5 s.
  OUTBOX_SPACING_MS: "250",
  JOB_LEASE_TTL_MS: "1500",
  // 40 copies failing with one error would open one incident; here each must be alerted on its own.
  INCIDENT_MIN_AFFECTED: "1000000",
  LOG_LEVEL: "info",
});

beforeAll(async () => {
  if (TEST_DIALECT !== "postgres") return;
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  slack = await new FakeSlackApi().start();
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await db?.close();
  await slack?.stop();
  await testDb?.drop();
});

describe.skipIf(TEST_DIALECT !== "postgres")("two bot processes on one PostgreSQL database", () => {
  it("alerts 40 failing integrations exactly once while firings every 2 s overlap the posting", async () => {
    const ids = await failing("ovl");
    const bots = await Promise.all([spawnBot(env("*/2 * * * * *")), spawnBot(env("*/2 * * * * *"))]);
    children.push(...bots.map((bot) => bot.child));
    await eventually(() => ([...alertCounts(ids).values()].every((count) => count >= 1) ? true : undefined), 60_000);
    // A few more firings after the last post: none of them posts anything again.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect([...alertCounts(ids).values()].filter((count) => count !== 1)).toEqual([]);
    const firings = await db.models.JobLease.findAll({ where: { jobName: "failure-alerts" } });
    expect(firings.length).toBeGreaterThanOrEqual(4);
    expect(new Set(firings.map((lease) => lease.holder)).size).toBeGreaterThanOrEqual(1);
    for (const bot of bots) bot.child.kill("SIGTERM");
    await Promise.all(bots.map((bot) => bot.exited));
    await db.models.Integration.update({ status: "disabled" }, { where: { id: ids } });
  }, 120_000);

  it("finishes posting 40 alerts after kill -9 of the process posting them, each exactly once, within a minute, with no regular firing after", async () => {
    const ids = await failing("kil");
    const since = new Date().toISOString();
    // One firing, 30 s from now, and the next an hour later: only a takeover can finish the work.
    const slot = new Date(Date.now() + 30_000);
    const cron = `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} * * * *`;
    const bots = await Promise.all([spawnBot({ ...env(cron), TZ: "UTC" }), spawnBot({ ...env(cron), TZ: "UTC" })]);
    children.push(...bots.map((bot) => bot.child));
    // The middle of the posting: ten alerts out.
    await eventually(() => ([...alertCounts(ids).values()].filter((count) => count > 0).length >= 10 ? true : undefined), 90_000);
    const sender = (await db.models.JobLease.findOne({ where: { jobName: "outbox-sender" } }))!;
    const victim = bots.find((bot) => sender.holder.split(":")[1] === String(bot.child.pid))!;
    expect(victim).toBeDefined();
    victim.child.kill("SIGKILL");
    const killedAt = Date.now();
    await victim.exited;
    await eventually(() => ([...alertCounts(ids).values()].every((count) => count >= 1) ? true : undefined), 60_000);
    const finishedAfterMs = Date.now() - killedAt;
    expect(finishedAfterMs).toBeLessThan(60_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect([...alertCounts(ids).values()].filter((count) => count !== 1)).toEqual([]);
    const firings = (await db.models.JobLease.findAll({ where: { jobName: "failure-alerts" } })).filter((lease) => lease.fireKey > since);
    expect(firings.map((lease) => lease.fireKey)).toEqual([slot.toISOString().replace(/\.\d{3}Z$/, ".000Z")]);
    const survivor = bots.find((bot) => bot !== victim)!;
    expect((await db.models.JobLease.findOne({ where: { jobName: "outbox-sender" } }))!.holder.split(":")[1]).toBe(String(survivor.child.pid));
    console.log(`all 40 alerts out ${finishedAfterMs} ms after the kill`);
    survivor.child.kill("SIGTERM");
    await survivor.exited;
  }, 180_000);
});
