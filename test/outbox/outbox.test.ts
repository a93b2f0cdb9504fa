import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands/index.ts";
import { createFailureAlertsJob } from "../../jobs/failure-alerts.ts";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import { enqueuePost, enqueueUpdate, pendingCount, sentMessage } from "../../src/data/outbox.ts";
import { drainOutbox, startOutboxSender } from "../../src/outbox/sender.ts";
import type { Doc } from "../../src/reply/document.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { createWebClient, webChannelMessages } from "../../src/slack/web-client.ts";
import { eventually } from "../support/bot.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";

const clock = new FakeClock("2026-11-20T12:00:00Z");
let testDb: TestDatabase;
let db: Database;
let slack: FakeSlackApi;
let runtime: Runtime;

const doc = (text: string): Doc => ({ text, blocks: [{ type: "section", text }] });
const messages = () => runtime.services.messages;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  slack = await new FakeSlackApi().start();
  const config = loadConfig({ DATABASE_URL: testDb.url, SLACK_BOT_TOKEN: "xoxb-test", SLACK_API_URL: slack.url, ALERTS_CHANNEL: "C0ALERTS", LOG_LEVEL: "silent", INCIDENT_MIN_AFFECTED: "1000000" });
  // 300 copies failing with one error would open an incident; here each must be alerted on its own.
  runtime = await openRuntime(config, { clock, db, messages: webChannelMessages(createWebClient(config)), commands: COMMANDS });
});

afterAll(async () => {
  await runtime?.close();
  await db?.close();
  await slack?.stop();
  await testDb?.drop();
});

beforeEach(async () => {
  await db.models.OutboxMessage.destroy({ where: {} });
  slack.calls.length = 0;
});

async function enqueue(rows: Array<{ key: string; channel: string; text: string }>): Promise<void> {
  await db.sequelize.transaction(async (transaction) => {
    for (const row of rows) await enqueuePost(db, transaction, { key: row.key, channel: row.channel, doc: doc(row.text), at: clock.now() });
  });
}

describe(`the outbox on ${TEST_DIALECT}`, () => {
  it("queues 300 alerts of one firing in seconds, each once however often the firing runs", async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `int_many_${String(i).padStart(3, "0")}`);
    await addIntegrations(db, ids.map((id) => ({ id })));
    await addRuns(db, ids.flatMap((id) => [1, 2, 3].map((n) => ({ id: `${id}_r${n}`, integrationId: id, status: "error" as const, trigger: "scheduler" as const, startedAt: new Date(clock.now().getTime() - (4 - n) * 60_000), error: "boom" }))), clock.now());
    const job = createFailureAlertsJob();
    const fire = () => job.perform({ runtime, firedAt: clock.now(), dryRun: false, messages: messages(), actor: { kind: "job", job: "failure-alerts" } });
    const started = performance.now();
    const first = await fire();
    const elapsed = performance.now() - started;
    expect(first.counts?.posted).toBe(300);
    console.log(`queued 300 alerts in ${Math.round(elapsed)} ms`);
    // Seconds, not the five minutes posting them takes (one transaction per alert; ~4-7 s idle, up to ~13 s on a busy two-core machine).
    expect(elapsed).toBeLessThan(20_000);
    // Overlapping and repeated firings (a takeover, the next slot) queue nothing again.
    const again = await Promise.all([fire(), fire()]);
    expect(again.map((summary) => summary.counts?.posted)).toEqual([0, 0]);
    expect(await db.models.OutboxMessage.count({ where: { kind: "post" } })).toBe(300);
    expect(slack.callsTo("chat.postMessage")).toHaveLength(0);
    await drainOutbox({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 5_000 });
    const posted = slack.callsTo("chat.postMessage").map((call) => JSON.stringify(call.body.blocks).match(/int_many_\d+/)?.[0]);
    expect(posted).toHaveLength(300);
    expect(new Set(posted).size).toBe(300);
    await db.models.FailureAlert.destroy({ where: {} });
    await db.models.Integration.update({ status: "disabled" }, { where: { id: ids } });
  }, 120_000);

  it("keeps writes to one channel a spacing apart, channels side by side, and updates after their post", async () => {
    await enqueue([
      { key: "a1", channel: "C0A", text: "a1" },
      { key: "a2", channel: "C0A", text: "a2" },
      { key: "b1", channel: "C0B", text: "b1" },
      { key: "a3", channel: "C0A", text: "a3" },
      { key: "b2", channel: "C0B", text: "b2" },
    ]);
    await db.sequelize.transaction((transaction) => enqueueUpdate(db, transaction, { key: "a1:done", targetKey: "a1", doc: doc("a1 done"), at: clock.now() }));
    await drainOutbox({ db, messages: messages(), spacingMs: 300, leaseTtlMs: 5_000 });
    const times = (channel: string) => slack.calls.filter((call) => call.body.channel === channel).map((call) => call.at!);
    for (const channel of ["C0A", "C0B"]) {
      const at = times(channel);
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(290);
    }
    expect(times("C0A")).toHaveLength(4);
    const update = slack.callsTo("chat.update")[0]!;
    const a1 = await db.models.OutboxMessage.findOne({ where: { key: "a1" } });
    expect(update.body.ts).toBe(a1!.ts);
    expect(await sentMessage(db, "a1")).toEqual({ channel: "C0A", ts: a1!.ts });
    expect(await sentMessage(db, "nothing-here")).toBeUndefined();
    expect(await pendingCount(db)).toBe(0);
    expect(JSON.stringify(update.body)).toContain("a1 done");
    // Both channels went at once: five posts and an update in well under six spacings.
    const all = slack.calls.map((call) => call.at!);
    expect(Math.max(...all) - Math.min(...all)).toBeLessThan(4 * 300 + 250);
  });

  it("waits out a 429's Retry-After and posts the row once", async () => {
    slack.queue("chat.postMessage", { status: 429, headers: { "retry-after": "1" }, body: { ok: false, error: "ratelimited" } });
    await enqueue([{ key: "limited", channel: "C0A", text: "limited" }]);
    const started = Date.now();
    await drainOutbox({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 5_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(slack.callsTo("chat.postMessage")).toHaveLength(2);
    expect((await db.models.OutboxMessage.findOne({ where: { key: "limited" } }))!.state).toBe("sent");
  });

  it("never sends again a row a stopped sender had claimed: at most once on a crash", async () => {
    await enqueue([{ key: "claimed", channel: "C0A", text: "claimed" }, { key: "free", channel: "C0A", text: "free" }]);
    await db.models.OutboxMessage.update({ claimedBy: "dead-replica", claimedUntil: new Date(Date.now() - 1_000), attempts: 1 }, { where: { key: "claimed" } });
    const sender = startOutboxSender({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 600 });
    try {
      await eventually(async () => ((await db.models.OutboxMessage.findOne({ where: { key: "claimed" } }))!.state === "failed" ? true : undefined), 5_000);
      await eventually(async () => ((await db.models.OutboxMessage.findOne({ where: { key: "free" } }))!.state === "sent" ? true : undefined), 5_000);
    } finally {
      await sender.stop();
    }
    const texts = slack.callsTo("chat.postMessage").map((call) => JSON.stringify(call.body));
    expect(texts.some((text) => text.includes("claimed"))).toBe(false);
    expect((await db.models.OutboxMessage.findOne({ where: { key: "claimed" } }))!.error).toContain("unknown");
  });

  it("lets one sender of two send, and the other take over when it stops", async () => {
    const one = startOutboxSender({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 600, holder: "one" });
    const two = startOutboxSender({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 600, holder: "two" });
    try {
      await enqueue([{ key: "x1", channel: "C0A", text: "x1" }]);
      await eventually(async () => ((await db.models.OutboxMessage.findOne({ where: { key: "x1" } }))!.state === "sent" ? true : undefined), 5_000);
      const lease = (await db.models.JobLease.findOne({ where: { jobName: "outbox-sender" } }))!;
      const [first, second] = lease.holder === "one" ? [one, two] : [two, one];
      await first.stop();
      await enqueue([{ key: "x2", channel: "C0A", text: "x2" }]);
      await eventually(async () => ((await db.models.OutboxMessage.findOne({ where: { key: "x2" } }))!.state === "sent" ? true : undefined), 5_000);
      expect((await db.models.JobLease.findOne({ where: { jobName: "outbox-sender" } }))!.holder).not.toBe(lease.holder);
      await second.stop();
    } finally {
      await one.stop();
      await two.stop();
    }
    expect(slack.callsTo("chat.postMessage")).toHaveLength(2);
  });

  it("posts a thread reply only once its first message has a ts, in that message's thread, and fails it with its first message", async () => {
    await db.sequelize.transaction(async (transaction) => {
      await enqueuePost(db, transaction, { key: "report:summary", channel: "C0HOUSE", doc: doc("summary"), at: clock.now() });
      await enqueuePost(db, transaction, { key: "report:details:1", channel: "C0HOUSE", doc: doc("details 1"), at: clock.now(), threadKey: "report:summary" });
      await enqueuePost(db, transaction, { key: "gone:summary", channel: "C0GONE", doc: doc("gone"), at: clock.now() });
      await enqueuePost(db, transaction, { key: "gone:details:1", channel: "C0GONE", doc: doc("gone details"), at: clock.now(), threadKey: "gone:summary" });
    });
    // The reply is older than nothing it needs: held back while its first message waits.
    await db.models.OutboxMessage.update({ notBefore: new Date(Date.now() + 60_000) }, { where: { key: "report:summary" } });
    slack.queue("chat.postMessage", { body: { ok: false, error: "channel_not_found" } });
    await drainOutbox({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 5_000 });
    expect(slack.callsTo("chat.postMessage").map((call) => call.body.text)).toEqual(["gone"]);
    expect((await db.models.OutboxMessage.findOne({ where: { key: "report:details:1" } }))!.state).toBe("pending");
    expect((await db.models.OutboxMessage.findOne({ where: { key: "gone:details:1" } }))!.state).toBe("failed");

    await db.models.OutboxMessage.update({ notBefore: null }, { where: { key: "report:summary" } });
    await drainOutbox({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 5_000 });
    const [summary, reply] = slack.callsTo("chat.postMessage").slice(1);
    expect(summary!.body.text).toBe("summary");
    expect(summary!.body.thread_ts).toBeUndefined();
    expect(reply!.body.text).toBe("details 1");
    expect(reply!.body.thread_ts).toBe((await sentMessage(db, "report:summary"))!.ts);
    expect(reply!.body.channel).toBe("C0HOUSE");
  });

  it("sends only the latest of the updates of one message queued before any was sent", async () => {
    await enqueue([{ key: "m", channel: "C0A", text: "m" }]);
    const update = (key: string, text: string) => db.sequelize.transaction((transaction) => enqueueUpdate(db, transaction, { key, targetKey: "m", doc: doc(text), at: clock.now() }));
    await update("m:update:1", "m grew");
    await update("m:update:2", "m grew more");
    // Queued again (a firing run twice): the key is there, nothing is superseded or added.
    await update("m:update:2", "m grew more, again");
    await drainOutbox({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 5_000 });
    expect(slack.callsTo("chat.update").map((call) => call.body.text)).toEqual(["m grew more"]);
    expect((await db.models.OutboxMessage.findOne({ where: { key: "m:update:1" } }))!.state).toBe("superseded");
    // An update queued once the previous one went out is sent as well.
    await update("m:update:3", "m recovered");
    await drainOutbox({ db, messages: messages(), spacingMs: 0, leaseTtlMs: 5_000 });
    expect(slack.callsTo("chat.update").map((call) => call.body.text)).toEqual(["m grew more", "m recovered"]);
  });
});
