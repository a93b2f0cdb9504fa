import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseRunCoordinator } from "../../jobs/run-coordinator.ts";
import { FakeClock } from "../../src/clock.ts";
import type { Database } from "../../src/data/database.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld } from "../support/fixtures.ts";
import { daysAgo, NOW, runSeries } from "./support.ts";

let testDb: TestDatabase;
const bots: TestBot[] = [];
const dbs: Database[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "hk_fail", createdAt: daysAgo(90) }]);
  await addRuns(db, runSeries("hk_fail", ["error", "error", "error"], daysAgo(1)), NOW);
  await addIntegrations(db, [{ id: "al_fail" }]);
  await addRuns(db, runSeries("al_fail", ["error", "error", "error"], new Date(NOW.getTime() - 60_000), "503 from Salesforce"), NOW);
  await db.close();
});

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  for (const db of dbs) await db.close();
  await testDb?.drop();
});

describe(`several replicas on one ${TEST_DIALECT} database`, () => {
  it("lets exactly one of two processes take the lease of a firing, however they race", async () => {
    const a = await testDb.open();
    const b = await testDb.open();
    dbs.push(a, b);
    const clock = new FakeClock(NOW);
    const one = new DatabaseRunCoordinator(a, clock);
    const two = new DatabaseRunCoordinator(b, clock);
    for (let firing = 0; firing < 5; firing++) {
      const key = `race-test:2026-11-20T09:0${firing}:00.000Z`;
      const answers = await Promise.all([...Array(4)].flatMap(() => [one.shouldRun(key), two.shouldRun(key)]));
      expect(answers.filter(Boolean)).toHaveLength(1);
    }
  });

  it("takes over a firing whose holder died (its lease expired unfinished) and runs it to the end, once", async () => {
    // No regular firing soon: only the takeover can run it.
    const env = { ALERTS_CRON: "0 0 1 1 *", ALERTS_CHANNEL: "C0ALERTS", JOB_LEASE_TTL_MS: "600", OUTBOX_SPACING_MS: "0" };
    const watcher = await testDb.open();
    dbs.push(watcher);
    const fireKey = "2026-11-20T11:59:00.000Z";
    await watcher.models.JobLease.create({ jobName: "failure-alerts", fireKey, holder: "dead-host:1:abcdef", acquiredAt: NOW, finishedAt: null, outcome: null, expiresAt: new Date(Date.now() + 300) });
    const started = Date.now();
    const survivor = await startTestBot(testDb.url, env, { clock: new FakeClock(NOW) });
    bots.push(survivor);
    const lease = await eventually(async () => {
      const row = await watcher.models.JobLease.findOne({ where: { jobName: "failure-alerts", fireKey } });
      return row?.outcome === "ok" ? row : undefined;
    }, 10_000);
    expect(lease.holder).not.toBe("dead-host:1:abcdef");
    const alerts = () => survivor.slack.callsTo("chat.postMessage").filter((call) => call.body.channel === "C0ALERTS" && JSON.stringify(call.body.blocks).includes("`al_fail`"));
    await eventually(() => (alerts().length ? true : undefined), 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Running the same firing again (a second takeover, an overlap) posts nothing more.
    await watcher.models.JobLease.update({ finishedAt: null, outcome: null, holder: "dead-host:2:abcdef", expiresAt: new Date(Date.now() - 1) }, { where: { jobName: "failure-alerts", fireKey } });
    await eventually(async () => ((await watcher.models.JobLease.findOne({ where: { jobName: "failure-alerts", fireKey } }))?.outcome === "ok" ? true : undefined), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(alerts()).toHaveLength(1);
    await survivor.stop();
    bots.splice(bots.indexOf(survivor), 1);
  });

  it("runs each scheduled firing of the housekeeping report in one of two bots, never in both", async () => {
    // Every second, so the test sees several firings; both bots compute the same slots.
    const env = { HOUSEKEEPING_CRON: "* * * * * *", HOUSEKEEPING_CHANNEL: "C0HOUSE" };
    bots.push(await startTestBot(testDb.url, env, { clock: new FakeClock(NOW) }));
    bots.push(await startTestBot(testDb.url, env, { clock: new FakeClock(NOW) }));
    const watcher = await testDb.open();
    dbs.push(watcher);
    const leases = () => watcher.models.JobLease.findAll({ where: { jobName: "housekeeping-report" } });
    await eventually(async () => ((await leases()).filter((lease) => lease.outcome === "ok").length >= 4 ? true : undefined), 15_000);
    for (const bot of bots) await bot.bot.stop();
    const all = await leases();
    const reports = bots.flatMap((bot) => bot.slack.callsTo("chat.postMessage")).filter((call) => call.body.channel === "C0HOUSE" && !call.body.thread_ts);
    expect(all.every((lease) => lease.outcome === "ok")).toBe(true);
    expect(reports.length).toBe(all.length);
    expect(new Set(all.map((lease) => lease.fireKey)).size).toBe(all.length);
  });
});
