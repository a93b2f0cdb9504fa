import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { housekeepingReport } from "../../jobs/housekeeping-report.ts";
import { runJob } from "../../jobs/runner.ts";
import { FakeClock } from "../../src/clock.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { buttonClickForm, postSigned, slashCommandForm } from "../support/slack-request.ts";
import { daysAgo, NOW, runSeries } from "./support.ts";

let testDb: TestDatabase;
let t: TestBot;

type Element = { type: string; value?: string; text?: { text: string }; confirm?: unknown };
type SlackBlock = { type: string; elements?: Element[] };

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "hk_fail", createdAt: daysAgo(90) }]);
  await addRuns(db, runSeries("hk_fail", ["error", "error", "error"], daysAgo(1)), NOW);
  await db.close();
  t = await startTestBot(testDb.url, { HOUSEKEEPING_CHANNEL: "C0HOUSE", PRICE_PER_RUN: "0.25" }, { clock: new FakeClock(NOW) });
  for (const who of [WORLD.operators.viewer, WORLD.operators.manager, WORLD.operators.runner]) t.slack.emails.set(who.slack, who.email);
  const result = await runJob(t.bot.runtime, housekeepingReport, { messages: t.bot.runtime.services.messages, firedAt: NOW, trigger: "manual" });
  expect(result.outcome).toBe("ok");
  // The report is queued in the outbox; the bot's sender posts it.
  await eventually(() => t.slack.callsTo("chat.postMessage").find((call) => call.body.channel === "C0HOUSE"));
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

function reportButton(label: string): Element {
  const post = t.slack.callsTo("chat.postMessage").find((call) => call.body.channel === "C0HOUSE")!;
  const blocks = post.body.blocks as SlackBlock[];
  return blocks.flatMap((block) => block.elements ?? []).find((element) => element.type === "button" && element.text?.text.startsWith(label))!;
}

async function click(label: string, user: string, responseId: string) {
  const response = await postSigned(t.baseUrl, buttonClickForm(reportButton(label).value!, user, t.slack.responseUrl(responseId), { channel: "C0HOUSE" }));
  expect(response.status).toBe(200);
  return eventually(() => t.slack.responses.find((r) => r.method === `/response/${responseId}`));
}

describe("the housekeeping report's buttons, clicked in Slack", () => {
  it("posts the report to HOUSEKEEPING_CHANNEL with Disable (confirmed) and Snooze", () => {
    expect(reportButton("Disable").value).toBe("disable hk_fail flagged failing by the housekeeping report");
    expect(reportButton("Disable").confirm).toBeTruthy();
    expect(reportButton("Snooze").value).toBe("snooze hk_fail");
  });

  it("denies Disable and Snooze to someone without Can manage, and changes nothing", async () => {
    for (const [label, user, id] of [["Disable", WORLD.operators.viewer.slack, "d1"], ["Snooze", WORLD.operators.runner.slack, "s1"]] as const) {
      const answer = await click(label, user, id);
      expect(answer.body.response_type).toBe("ephemeral");
      expect(JSON.stringify(answer.body.blocks)).toContain("Can manage");
    }
    const db = t.bot.runtime.db;
    expect((await db.models.Integration.findByPk("hk_fail"))?.status).toBe("enabled");
    expect((await db.models.HousekeepingFinding.findByPk("hk_fail"))?.snoozedUntil).toBeNull();
    const denials = await db.models.AuditEvent.findAll({ where: { outcome: "denied", targetId: "hk_fail" } });
    expect(denials.map((event) => event.action).sort()).toEqual(["disable", "snooze"]);
  });

  it("snoozes for whoever may manage, in the channel, audited", async () => {
    const answer = await click("Snooze", WORLD.operators.manager.slack, "s2");
    expect(answer.body.response_type).toBe("in_channel");
    expect(JSON.stringify(answer.body.blocks)).toContain("snoozed until 2026-11-27");
    const finding = await t.bot.runtime.db.models.HousekeepingFinding.findByPk("hk_fail");
    expect(finding?.snoozedBy).toBe(WORLD.operators.manager.email);
  });

  it("answers /integrations stale ephemerally", async () => {
    const response = await postSigned(t.baseUrl, slashCommandForm("stale", WORLD.operators.viewer.slack, t.slack.responseUrl("stale1")));
    expect(response.status).toBe(200);
    const answer = await eventually(() => t.slack.responses.find((r) => r.method === "/response/stale1"));
    expect(answer.body.response_type).toBe("ephemeral");
    // Snoozed by the test before: left out, and said so.
    expect(JSON.stringify(answer.body.blocks)).toContain("1 snoozed finding");
  });
});
