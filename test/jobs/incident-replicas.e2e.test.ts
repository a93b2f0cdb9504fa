import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFailureAlertsJob } from "../../jobs/failure-alerts.ts";
import { FakeClock } from "../../src/clock.ts";
import type { Database } from "../../src/data/database.ts";
import { drainOutbox } from "../../src/outbox/sender.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld } from "../support/fixtures.ts";
import { NOW, runSeries, testRuntime } from "./support.ts";

const CHANNEL = "C0ALERTS";
let testDb: TestDatabase;
const bots: TestBot[] = [];
const dbs: Database[] = [];

/** Five copies of each flow failing with one error per flow: two incidents. */
const FLOWS = { flow_1: "HubSpot said 503 for portal 4411", flow_2: "Salesforce refused \"sync\": 401" } as const;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  for (const [flowId, error] of Object.entries(FLOWS)) {
    const ids = Array.from({ length: 5 }, (_, n) => `${flowId}_copy${n}`);
    await addIntegrations(db, ids.map((id) => ({ id, flowId })));
    for (const id of ids) await addRuns(db, runSeries(id, ["error", "error", "error"], new Date(NOW.getTime() - 10 * 60_000), error.replace(/\d+/g, (d) => `${d}${id.length}`)), NOW);
  }
  await db.close();
});

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  for (const db of dbs) await db.close();
  await testDb?.drop();
});

const incidentRows = async (db: Database) => (await db.sequelize.query("SELECT id, ts FROM incidents ORDER BY id", { type: "SELECT" })) as Array<{ id: string; ts: string | null }>;

describe(`incidents with several replicas on one ${TEST_DIALECT} database`, () => {
  it("posts each incident once when two runtimes perform the same firing at the same moment", async () => {
    const a = await testDb.open();
    const b = await testDb.open();
    dbs.push(a, b);
    const one = await testRuntime(a, testDb.url, { ALERTS_CHANNEL: CHANNEL });
    const two = await testRuntime(b, testDb.url, { ALERTS_CHANNEL: CHANNEL });
    const job = createFailureAlertsJob();
    const perform = (side: typeof one) =>
      job.perform({ runtime: side.runtime, firedAt: NOW, dryRun: false, messages: side.messages, actor: { kind: "job", job: "failure-alerts" } });
    for (let round = 0; round < 3; round++) await Promise.all([perform(one), perform(two)]);
    // Both replicas' senders drain the outbox at once: each message is claimed, and posted, by one of them.
    const drain = (side: typeof one) => drainOutbox({ db: side.runtime.db, messages: side.messages, spacingMs: 0, leaseTtlMs: 5_000 });
    await Promise.all([drain(one), drain(two)]);
    const posts = [...one.messages.posted, ...two.messages.posted].filter((post) => post.doc.text.startsWith("Incident "));
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((post) => post.doc.text.split(":")[0])).size).toBe(2);
    const rows = await incidentRows(a);
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.ts)).toBe(true);
    // No copy got a single alert: the incidents speak for them.
    expect([...one.messages.posted, ...two.messages.posted].filter((post) => !post.doc.text.startsWith("Incident "))).toHaveLength(0);
    await one.runtime.close();
    await two.runtime.close();
  });

  it("posts each incident once across two bots firing the same ALERTS_CRON slots", async () => {
    // Start over: the incidents of the first test are forgotten, the failures are not.
    const watcher = await testDb.open();
    dbs.push(watcher);
    await watcher.sequelize.query("DELETE FROM incident_members");
    await watcher.sequelize.query("DELETE FROM incidents");
    const env = { ALERTS_CRON: "* * * * * *", ALERTS_CHANNEL: CHANNEL };
    bots.push(await startTestBot(testDb.url, env, { clock: new FakeClock(NOW) }));
    bots.push(await startTestBot(testDb.url, env, { clock: new FakeClock(NOW) }));
    const leases = async () => (await watcher.sequelize.query("SELECT outcome FROM job_leases WHERE job_name = 'failure-alerts'", { type: "SELECT" })) as Array<{ outcome: string | null }>;
    await eventually(async () => ((await leases()).filter((lease) => lease.outcome === "ok").length >= 4 ? true : undefined), 15_000);
    for (const bot of bots) await bot.bot.stop();
    const posts = bots.flatMap((bot) => bot.slack.callsTo("chat.postMessage")).filter((call) => String(call.body.text).startsWith("Incident "));
    expect(posts).toHaveLength(2);
    expect(await incidentRows(watcher)).toHaveLength(2);
  });
});
