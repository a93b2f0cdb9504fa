import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { housekeepingReport } from "../../jobs/housekeeping-report.ts";
import { runJob } from "../../jobs/runner.ts";
import type { Database } from "../../src/data/database.ts";
import { drainOutbox } from "../../src/outbox/sender.ts";
import { toBlockKit } from "../../src/slack/block-kit.ts";
import { toText } from "../../src/slack/text-renderer.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { actorFor, DAY, daysAgo, idsIn, NOW, runSeries, testRuntime } from "./support.ts";

const E = "error" as const;
const S = "success" as const;

let testDb: TestDatabase | undefined;
let db: Database;
const opened: Array<{ close(): Promise<void> }> = [];

/** A fresh database per test: each one tells a finding's life from the start. */
beforeEach(async () => {
  for (const runtime of opened.splice(0)) await runtime.close();
  if (db) await db.close();
  await testDb?.drop();
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [
    { id: "hk_fail", name: "HubSpot to CRM", createdAt: daysAgo(90) },
    { id: "hk_never", name: "Never ran", createdAt: daysAgo(40) },
    { id: "hk_fine", createdAt: daysAgo(90) },
  ]);
  await addRuns(db, [
    ...runSeries("hk_fail", [S], daysAgo(12, 60_000), ""),
    ...runSeries("hk_fail", [E, E, E, E, E], daysAgo(1)).map((run) => ({ ...run, id: `${run.id}_e` })),
    ...runSeries("hk_fine", [S, S], daysAgo(1)),
  ], NOW);
});

afterAll(async () => {
  for (const runtime of opened.splice(0)) await runtime.close();
  await db?.close();
  await testDb?.drop();
});

async function setup(env: Record<string, string> = {}) {
  const made = await testRuntime(db, testDb!.url, env);
  opened.push(made.runtime);
  const fire = async (dryRun = false) => {
    const result = await runJob(made.runtime, housekeepingReport, { messages: made.messages, firedAt: made.clock.now(), trigger: "manual", dryRun });
    expect(result.outcome).toBe("ok");
    // The report queues its messages in the outbox; the sender posts them.
    await drainOutbox({ db, messages: made.messages, spacingMs: 0, leaseTtlMs: 5_000 });
    return result;
  };
  const lastReportText = () => {
    const summary = [...made.messages.posted].reverse().find((post) => !post.threadTs)!;
    const thread = made.messages.posted.filter((post) => post.threadTs === summary.ts);
    return [summary, ...thread].map((post) => toText(post.doc)).join("\n");
  };
  return { ...made, fire, lastReportText };
}

async function finding(id: string) {
  return db.models.HousekeepingFinding.findByPk(id);
}

describe("the housekeeping report", () => {
  it("posts why, runs and cost, group, configuration and account, with Disable and Snooze, and marks new findings", async () => {
    const { fire, messages, lastReportText } = await setup();
    const result = await fire();
    expect(result.summary?.counts).toMatchObject({ failing: 1, stale: 1, new: 2 });
    expect(messages.posted.every((post) => post.channel === "C0HOUSE")).toBe(true);
    const text = lastReportText();
    expect(text).toContain("Housekeeping: 1 failing, 1 stale");
    expect(text).toContain("last 5 runs failed; last success 12 days ago: 401 from HubSpot");
    expect(text).toContain("never ran; activated 40 days ago");
    // hk_fail ran 6 times in 30 days at 0.50 EUR a run.
    expect(text).toContain("6 runs in 30 days ≈ 3.00 EUR");
    expect(text).toContain("save about 3.00 EUR a month");
    expect(text).toContain("Acme Partners");
    expect(text).toContain("HubSpot sync (cfg_1)");
    expect(text).toContain("Account acc_hk_fail");
    expect(text).toContain("(2 new)");
    expect(text).toContain("/integrations disable hk_fail");
    expect(text).toContain("/integrations snooze hk_fail");
    expect(idsIn(text, "hk_")).not.toContain("hk_fine");
    const remembered = await finding("hk_fail");
    expect(remembered?.firstReportedAt.toISOString()).toBe(NOW.toISOString());
  });

  it("does not announce a finding as new the next day, and keeps its first report", async () => {
    const { fire, clock, lastReportText } = await setup();
    await fire();
    clock.advance(DAY);
    const result = await fire();
    expect(result.summary?.counts?.new).toBe(0);
    expect(lastReportText()).not.toContain("new");
    const remembered = await finding("hk_fail");
    expect(remembered?.firstReportedAt.toISOString()).toBe(NOW.toISOString());
    expect(remembered?.lastReportedAt.toISOString()).toBe(new Date(NOW.getTime() + DAY).toISOString());
  });

  it("leaves a snoozed finding out until its snooze ends, then shows it again", async () => {
    const { fire, clock, runtime, lastReportText } = await setup();
    await fire();
    const manager = await actorFor(db, WORLD.operators.manager.email);
    const reply = await runtime.dispatcher.handle("snooze hk_never", manager, { transport: "console" });
    expect(reply.visibility).toBe("in_channel");
    expect(toText(reply.doc)).toContain("snoozed until 2026-11-27 12:00 UTC by manager@example.com");
    const audit = await db.models.AuditEvent.findOne({ where: { action: "snooze", targetId: "hk_never" } });
    expect(audit?.outcome).toBe("ok");

    clock.advance(DAY);
    let result = await fire();
    expect(result.summary?.counts).toMatchObject({ stale: 0, snoozed: 1 });
    expect(idsIn(lastReportText(), "hk_")).toEqual(["hk_fail"]);

    // Six days and 23 hours after the click: still snoozed.
    clock.set(new Date(NOW.getTime() + 7 * DAY - 3_600_000));
    result = await fire();
    expect(result.summary?.counts?.snoozed).toBe(1);

    clock.set(new Date(NOW.getTime() + 7 * DAY));
    result = await fire();
    expect(result.summary?.counts).toMatchObject({ stale: 1, snoozed: 0, new: 0 });
    expect(idsIn(lastReportText(), "hk_")).toEqual(["hk_fail", "hk_never"]);
  });

  it("resolves a finding that recovered or was disabled, and it disappears", async () => {
    const { fire, clock, runtime, lastReportText } = await setup();
    await fire();
    clock.advance(DAY);
    await addRuns(db, runSeries("hk_fail", [S], clock.now()).map((run) => ({ ...run, id: "hk_fail_ok" })), clock.now());
    const manager = await actorFor(db, WORLD.operators.manager.email);
    await runtime.dispatcher.handle("disable hk_never not used any more", manager, { transport: "console" });
    const result = await fire();
    expect(result.summary?.counts).toMatchObject({ failing: 0, stale: 0, resolved: 2 });
    expect((await finding("hk_fail"))?.resolution).toBe("recovered");
    expect((await finding("hk_never"))?.resolution).toBe("disabled");
    // Nothing left to report: the channel hears nothing new.
    expect(lastReportText()).toContain("1 failing, 1 stale");
    expect(result.summary?.counts?.messages).toBe(0);

    // Failing again later: a new finding, first reported now.
    clock.advance(DAY);
    await addRuns(db, runSeries("hk_fail", [E, E, E], clock.now()).map((run) => ({ ...run, id: `${run.id}_again` })), clock.now());
    const again = await fire();
    expect(again.summary?.counts).toMatchObject({ failing: 1, new: 1 });
    expect((await finding("hk_fail"))?.firstReportedAt.toISOString()).toBe(clock.now().toISOString());
  });

  it("changes and remembers nothing in a dry run", async () => {
    const { fire, messages } = await setup();
    const result = await fire(true);
    expect(result.summary?.text).toContain("[dry run]");
    expect(messages.posted.length).toBe(1);
    expect(await db.models.HousekeepingFinding.count()).toBe(0);
  });

  it("auto-disables a finding AUTO_DISABLE_AFTER_DAYS after its first report, not a day earlier, and never a snoozed one", async () => {
    await addIntegrations(db, [{ id: "hk_snoozed", createdAt: daysAgo(60) }]);
    const { fire, clock, runtime, messages } = await setup({ AUTO_DISABLE_AFTER_DAYS: "3" });
    await fire();
    const manager = await actorFor(db, WORLD.operators.manager.email);
    await runtime.dispatcher.handle("snooze hk_snoozed", manager, { transport: "console" });

    clock.set(new Date(NOW.getTime() + 2 * DAY));
    let result = await fire();
    expect(result.summary?.counts?.autoDisabled).toBe(0);
    expect((await db.models.Integration.findByPk("hk_fail"))?.status).toBe("enabled");

    clock.set(new Date(NOW.getTime() + 3 * DAY));
    const before = messages.posted.length;
    result = await fire();
    expect(result.summary?.counts?.autoDisabled).toBe(2);
    for (const id of ["hk_fail", "hk_never"]) {
      const integration = await db.models.Integration.findByPk(id);
      expect(integration?.status).toBe("disabled");
      expect(integration?.statusChangedBy).toBe("job:housekeeping-report");
      const audit = await db.models.AuditEvent.findOne({ where: { action: "disable", targetId: id } });
      expect(audit?.actor).toBe("job:housekeeping-report");
      expect((await finding(id))?.resolution).toBe("disabled");
    }
    expect((await db.models.Integration.findByPk("hk_snoozed"))?.status).toBe("enabled");
    const notice = messages.posted.slice(before).map((post) => toText(post.doc)).join("\n");
    expect(notice).toContain("Disabled 2 integrations reported 3 days ago");
    expect(notice).toContain("last 5 runs failed");
  });

  it("answers every auto-disable with a receipt: who, why, the last three errors, runs and cost of 30 days, and Enable", async () => {
    const { fire, clock, messages } = await setup({ AUTO_DISABLE_AFTER_DAYS: "3" });
    await fire();
    clock.set(new Date(NOW.getTime() + 3 * DAY));
    const before = messages.posted.length;
    await fire();
    const notices = messages.posted.slice(before).filter((post) => post.doc.text.startsWith("Disabled "));
    expect(notices).toHaveLength(1);
    const rendered = toBlockKit(notices[0]!.doc);
    const text = JSON.stringify(rendered.blocks);
    expect(text).toContain("was disabled by the housekeeping report: failing, last 5 runs failed");
    // hk_fail: one success 12 days before NOW and five errors the day before, all within 30 days; 0.5 EUR a run.
    const receipt = rendered.blocks.find((block) => JSON.stringify(block).includes("`hk_fail`")) as { fields: Array<{ text: string }>; accessory: { value: string; text: { text: string } } };
    expect(receipt.fields.map((field) => field.text)).toEqual(["*Runs in the last 30 days*\n6", "*Their cost*\n3.00 EUR"]);
    expect(receipt.accessory).toMatchObject({ text: { text: "Enable" }, value: "enable hk_fail" });
    const errors = toText(notices[0]!.doc).split("\n").find((line) => line.startsWith("Last errors:"))!;
    expect(errors.match(/401 from HubSpot/g)).toHaveLength(3);
    expect(toText(notices[0]!.doc)).toContain("No failed run on record.");
    expect(text).toContain("enable hk_never");
  });

  it("splits many receipts into messages within 50 blocks, each integration once with its Enable", async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ id: `hk_auto_${String(i).padStart(2, "0")}`, createdAt: daysAgo(45) }));
    await addIntegrations(db, many);
    const { fire, clock, messages } = await setup({ AUTO_DISABLE_AFTER_DAYS: "3" });
    await fire();
    clock.set(new Date(NOW.getTime() + 3 * DAY));
    const before = messages.posted.length;
    const result = await fire();
    expect(result.summary?.counts?.autoDisabled).toBe(32);
    const notices = messages.posted.slice(before).filter((post) => post.doc.text.startsWith("Disabled 32 integrations"));
    expect(notices.length).toBe(2);
    const enables = notices.flatMap((post) => {
      const blocks = toBlockKit(post.doc).blocks;
      expect(blocks.length).toBeLessThanOrEqual(50);
      return blocks.flatMap((block) => ("accessory" in block && block.accessory && "value" in block.accessory ? [String(block.accessory.value)] : []));
    });
    expect(enables.sort()).toEqual([...many.map((m) => `enable ${m.id}`), "enable hk_fail", "enable hk_never"].sort());
  });

  it("posts a firing's report once when it runs twice: a takeover, or two overlapping", async () => {
    const many = Array.from({ length: 70 }, (_, i) => ({ id: `hk_twice_${String(i).padStart(2, "0")}`, createdAt: daysAgo(45) }));
    await addIntegrations(db, many);
    const made = await testRuntime(db, testDb!.url);
    opened.push(made.runtime);
    const fireKey = "2026-11-20T09:00:00.000Z";
    const run = (trigger: "schedule" | "takeover") => runJob(made.runtime, housekeepingReport, { messages: made.messages, firedAt: new Date(fireKey), trigger, fireKey });
    await Promise.all([run("schedule"), run("schedule")]);
    await run("takeover");
    await drainOutbox({ db, messages: made.messages, spacingMs: 0, leaseTtlMs: 5_000 });
    await run("takeover");
    await drainOutbox({ db, messages: made.messages, spacingMs: 0, leaseTtlMs: 5_000 });
    const summaries = made.messages.posted.filter((post) => !post.threadTs);
    expect(summaries).toHaveLength(1);
    const thread = made.messages.posted.filter((post) => post.threadTs === summaries[0]!.ts);
    expect(thread.length).toBeGreaterThanOrEqual(3);
    expect(made.messages.posted).toHaveLength(1 + thread.length);
    expect(idsIn(thread.map((post) => toText(post.doc)).join("\n"), "hk_twice_")).toEqual(many.map((m) => m.id).sort());
    // The next slot is another report.
    await runJob(made.runtime, housekeepingReport, { messages: made.messages, firedAt: new Date("2026-11-21T09:00:00.000Z"), trigger: "schedule", fireKey: "2026-11-21T09:00:00.000Z" });
    await drainOutbox({ db, messages: made.messages, spacingMs: 0, leaseTtlMs: 5_000 });
    expect(made.messages.posted.filter((post) => !post.threadTs)).toHaveLength(2);
  });

  it("keeps every message within 50 blocks: a summary, and the details in its thread", async () => {
    const many = Array.from({ length: 70 }, (_, i) => ({ id: `hk_many_${String(i).padStart(2, "0")}`, configurationId: (i % 2 ? "cfg_1" : "cfg_3") as "cfg_1" | "cfg_3", createdAt: daysAgo(45) }));
    await addIntegrations(db, many);
    const { fire, messages } = await setup();
    await fire();
    const [summary, ...thread] = messages.posted;
    expect(summary?.threadTs).toBeUndefined();
    expect(thread.length).toBeGreaterThanOrEqual(3);
    for (const post of messages.posted) {
      expect(toBlockKit(post.doc).blocks.length).toBeLessThanOrEqual(50);
      expect(JSON.stringify(toBlockKit(post.doc).blocks)).not.toContain("not shown");
    }
    expect(thread.every((post) => post.threadTs === summary?.ts)).toBe(true);
    const shown = idsIn(thread.map((post) => toText(post.doc)).join("\n"), "hk_many_");
    expect(shown).toEqual(many.map((m) => m.id).sort());
    expect(toText(summary!.doc)).toContain("Gamma Partner");
  });

  it("answers `stale` with what the caller may view, and Disable / Snooze only where they may manage", async () => {
    await addIntegrations(db, [{ id: "hk_beta", configurationId: "cfg_2", createdAt: daysAgo(45) }]);
    const { runtime } = await setup();
    const viewer = await actorFor(db, WORLD.operators.viewer.email);
    const forViewer = await runtime.dispatcher.handle("stale", viewer, { transport: "console" });
    expect(forViewer.visibility).toBe("ephemeral");
    const viewerText = toText(forViewer.doc);
    expect(idsIn(viewerText, "hk_")).toEqual(["hk_fail", "hk_never"]);
    expect(viewerText).not.toContain("[Disable]");
    const manager = await actorFor(db, WORLD.operators.manager.email);
    expect(toText((await runtime.dispatcher.handle("stale", manager, { transport: "console" })).doc)).toContain("[Disable]");
    const admin = await actorFor(db, WORLD.operators.admin.email);
    expect(idsIn(toText((await runtime.dispatcher.handle("stale", admin, { transport: "console" })).doc), "hk_")).toEqual(["hk_beta", "hk_fail", "hk_never"]);
    const nobody = await actorFor(db, WORLD.operators.nobody.email);
    expect(toText((await runtime.dispatcher.handle("stale", nobody, { transport: "console" })).doc)).toContain("Can view");
    // `stale` remembers nothing.
    expect(await db.models.HousekeepingFinding.count()).toBe(0);
  });

  it("refuses to snooze an integration that is neither failing nor stale, changing nothing", async () => {
    const { runtime } = await setup();
    const manager = await actorFor(db, WORLD.operators.manager.email);
    const reply = await runtime.dispatcher.handle("snooze hk_fine", manager, { transport: "console" });
    expect(toText(reply.doc)).toContain("neither failing nor stale");
    expect(await db.models.HousekeepingFinding.count()).toBe(0);
    const viewer = await actorFor(db, WORLD.operators.viewer.email);
    expect(toText((await runtime.dispatcher.handle("snooze hk_fail", viewer, { transport: "console" })).doc)).toContain("Can manage");
    expect(await db.models.HousekeepingFinding.count()).toBe(0);
  });
});
