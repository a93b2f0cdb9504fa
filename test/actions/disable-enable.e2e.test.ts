import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import type { RecordedCall } from "../support/slack-api.ts";
import { buttonClickForm, postSigned, slashCommandForm } from "../support/slack-request.ts";

const O = WORLD.operators;

let testDb: TestDatabase;
let t: TestBot;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "int_1", name: "HubSpot to CRM" }, { id: "int_2" }, { id: "int_g2", configurationId: "cfg_2" }]);
  await db.close();
  t = await startTestBot(testDb.url);
  for (const who of Object.values(O)) t.slack.emails.set(who.slack, who.email);
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

async function send(form: Record<string, string>, responseId: string): Promise<RecordedCall> {
  const response = await postSigned(t.baseUrl, form);
  expect(response.status).toBe(200);
  return eventually(() => t.slack.responses.find((r) => r.method === `/response/${responseId}`));
}
const command = (text: string, user: string, id: string) => send(slashCommandForm(text, user, t.slack.responseUrl(id)), id);
const click = (value: string, user: string, id: string) => send(buttonClickForm(value, user, t.slack.responseUrl(id)), id);
const blocksOf = (call: RecordedCall) => JSON.stringify(call.body.blocks);
const buttons = (call: RecordedCall) =>
  (call.body.blocks as Array<{ type: string; elements?: Array<{ value: string; text: { text: string }; confirm?: unknown }> }>)
    .filter((block) => block.type === "actions")
    .flatMap((block) => block.elements ?? []);

describe("disable and enable", () => {
  it("disables with a reason, in the channel, recording who, when and why", async () => {
    const answer = await command("disable int_1 customer churned, see ticket 42", O.manager.slack, "d1");
    expect(answer.body.response_type).toBe("in_channel");
    expect(blocksOf(answer)).toContain("was disabled by <@UMANAGE>");
    expect(blocksOf(answer)).toContain("customer churned, see ticket 42");
    expect(buttons(answer).map((b) => b.text.text)).toContain("Enable");

    const db = t.bot.runtime.db;
    const integration = (await db.models.Integration.findByPk("int_1"))!;
    expect(integration.status).toBe("disabled");
    expect(integration.statusChangedBy).toBe(O.manager.email);
    expect(integration.disabledReason).toBe("customer churned, see ticket 42");
    const audit = await db.models.AuditEvent.findAll({ where: { action: "disable", targetId: "int_1" } });
    expect(audit.map((e) => [e.actor, e.outcome, e.detail])).toEqual([[O.manager.email, "ok", "customer churned, see ticket 42"]]);
  });

  it("says so when it is already disabled, and changes nothing", async () => {
    const answer = await command("disable int_1 again", O.admin.slack, "d2");
    expect(answer.body.response_type).toBe("ephemeral");
    expect(blocksOf(answer)).toContain("already disabled by manager@example.com");
    const db = t.bot.runtime.db;
    expect((await db.models.Integration.findByPk("int_1"))!.disabledReason).toBe("customer churned, see ticket 42");
    const noop = await db.models.AuditEvent.findOne({ where: { action: "disable", targetId: "int_1", outcome: "noop" } });
    expect(noop!.actor).toBe(O.admin.email);
  });

  it("shows Enable (not Run or Disable) on show, and enabling from that button works", async () => {
    const shown = await command("show int_1", O.manager.slack, "s1");
    const labels = buttons(shown).map((b) => b.text.text);
    expect(labels).toContain("Enable");
    expect(labels).not.toContain("Run");
    expect(labels).not.toContain("Disable");
    const enable = buttons(shown).find((b) => b.text.text === "Enable")!;
    const answer = await click(enable.value, O.manager.slack, "e1");
    expect(answer.body.response_type).toBe("in_channel");
    expect(blocksOf(answer)).toContain("was enabled by <@UMANAGE>");
    const db = t.bot.runtime.db;
    const integration = (await db.models.Integration.findByPk("int_1"))!;
    expect(integration.status).toBe("enabled");
    expect(integration.disabledReason).toBeNull();
    expect(await db.models.AuditEvent.count({ where: { action: "enable", targetId: "int_1", outcome: "ok" } })).toBe(1);

    const twice = await command("enable int_1", O.manager.slack, "e2");
    expect(twice.body.response_type).toBe("ephemeral");
    expect(blocksOf(twice)).toContain("already enabled");
  });

  it("offers Run and Disable with confirmations on show, only to whoever may use them", async () => {
    const manager = buttons(await command("show int_2", O.manager.slack, "s2"));
    expect(manager.map((b) => b.text.text)).toEqual(expect.arrayContaining(["Run", "Disable"]));
    expect(manager.find((b) => b.text.text === "Disable")!.confirm).toBeTruthy();
    expect(manager.find((b) => b.text.text === "Run")!.confirm).toBeTruthy();
    const viewer = buttons(await command("show int_2", O.viewer.slack, "s3")).map((b) => b.text.text);
    expect(viewer).not.toContain("Run");
    expect(viewer).not.toContain("Disable");
  });

  it("refuses whoever lacks Can manage on the group, audited, and changes nothing", async () => {
    const runner = await command("disable int_2", O.runner.slack, "x1");
    expect(blocksOf(runner)).toContain("Can manage");
    const other = await command("enable int_g2", O.manager.slack, "x2");
    expect(blocksOf(other)).toContain("Can manage");
    // A click on someone else's Disable button is checked against whoever clicks.
    const clicked = await click("disable int_2", O.viewer.slack, "x3");
    expect(blocksOf(clicked)).toContain("Can manage");
    const db = t.bot.runtime.db;
    expect((await db.models.Integration.findByPk("int_2"))!.status).toBe("enabled");
    expect(await db.models.AuditEvent.count({ where: { outcome: "denied", action: ["disable", "enable"] } })).toBe(3);
  });

  it("refuses an overlong reason without changing anything", async () => {
    const answer = await command(`disable int_2 ${"x".repeat(600)}`, O.manager.slack, "long");
    expect(blocksOf(answer)).toContain("keep it to 500");
    expect((await t.bot.runtime.db.models.Integration.findByPk("int_2"))!.status).toBe("enabled");
  });
});
