import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { buttonsOf, SlackSession } from "./slack-session.ts";

const O = WORLD.operators;
let testDb: TestDatabase;
let t: TestBot;
let db: Database;
let slack: SlackSession;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const setup = await testDb.open();
  await loadWorld(setup);
  await addIntegrations(setup, [
    { id: "int_g1", configurationId: "cfg_1", name: "HubSpot for Jane" },
    { id: "int_g2", configurationId: "cfg_2", name: "Salesforce for VIP" },
    ...Array.from({ length: 25 }, (_, i) => ({ id: `int_p${String(i).padStart(2, "0")}`, configurationId: "cfg_1" as const })),
  ]);
  await setup.close();
  t = await startTestBot(testDb.url);
  db = t.bot.runtime.db;
  for (const operator of Object.values(O)) t.slack.emails.set(operator.slack, operator.email);
  t.slack.emails.set("USTRANGER", "stranger@example.com");
  t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
  slack = new SlackSession(t);
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

async function audited(where: Record<string, unknown>) {
  return db.models.AuditEvent.findAll({ where, order: [["id", "ASC"]] });
}

describe("buttons are checked against whoever clicks them, at the moment they click", () => {
  it("denies a Disable button posted for a manager when a viewer clicks it, and changes nothing", async () => {
    const shown = await slack.command("show int_g1", O.manager.slack);
    const disable = buttonsOf(shown).find((button) => button.label.startsWith("Disable"));
    expect(disable, "the manager is offered Disable").toBeDefined();
    // The viewer is not offered the button, but clicks the one on the manager's message (or replays it).
    expect(buttonsOf(await slack.command("show int_g1", O.viewer.slack)).some((button) => button.label.startsWith("Disable"))).toBe(false);

    const click = await slack.click(disable!.value, O.viewer.slack);
    expect(click.denied).toBe(true);
    expect(click.text).toContain("Can manage");
    expect(click.text).toContain("Acme Partners");
    expect((await db.models.Integration.findByPk("int_g1"))!.status).toBe("enabled");
    const denials = await audited({ targetId: "int_g1", outcome: "denied" });
    expect(denials.map((row) => [row.actor, row.action, row.detail])).toEqual([[O.viewer.email, "disable", "missing manage"]]);
    expect(await audited({ targetId: "int_g1", outcome: "ok" })).toHaveLength(0);

    // The same button, clicked by someone who may, works.
    const allowed = await slack.click(disable!.value, O.manager.slack);
    expect(allowed.denied).toBe(false);
    expect((await db.models.Integration.findByPk("int_g1"))!.status).toBe("disabled");
    await slack.command("enable int_g1", O.manager.slack);
  });

  it("denies a tampered button value naming another group's integration", async () => {
    const shown = await slack.command("show int_g1", O.runner.slack);
    const runButton = buttonsOf(shown).find((button) => button.label.startsWith("Run"));
    expect(runButton?.value).toBe("run int_g1");
    const runsBefore = await db.models.FlowRun.count({ where: { integrationId: "int_g2" } });

    const tampered = await slack.click(runButton!.value.replace("int_g1", "int_g2"), O.runner.slack);
    expect(tampered.denied).toBe(true);
    expect(tampered.text).toContain("Can run");
    expect(tampered.text).toContain("Beta Group");
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_g2" } })).toBe(runsBefore);
    expect((await audited({ targetId: "int_g2", outcome: "denied", action: "run" })).map((row) => row.actor)).toEqual([O.runner.email]);

    // A tampered value with another command altogether is checked like any request too.
    const escalated = await slack.click("disable int_g1 tampered", O.runner.slack);
    expect(escalated.denied).toBe(true);
    expect((await db.models.Integration.findByPk("int_g1"))!.status).toBe("enabled");
    const admin = await slack.click("grant runner@example.com manage all", O.runner.slack);
    expect(admin.denied).toBe(true);
    expect(await db.models.Grant.count({ where: { scopeKey: "*", permission: "manage" } })).toBe(0);
  });

  it("checks a Next page button against the person who clicks it, not the one who asked", async () => {
    const first = await slack.command("list group:g1", O.viewer.slack);
    const next = buttonsOf(first).find((button) => button.label === "Next page");
    expect(next).toBeDefined();
    const stranger = await slack.click(next!.value, "USTRANGER");
    expect(stranger.denied).toBe(true);
    expect(stranger.text).toContain("not linked");
    const other = await slack.click(next!.value, O.other.slack);
    // The g2-only member gets nothing of g1 from the viewer's button: the query is confined to their own scope.
    expect(other.denied).toBe(false);
    expect(other.text).not.toContain("int_p");
    expect(other.text).not.toContain("int_g1");
  });

  it("shows in audit every denial of these clicks, to admins only", async () => {
    const log = await slack.command("audit", O.admin.slack);
    expect(log.denied).toBe(false);
    expect(log.text).toContain("denied");
    expect(log.text).toContain(O.viewer.email);
    expect(log.text).toContain("missing manage");
    const forRun = await slack.command("audit int_g2", O.admin.slack);
    expect(forRun.text).toContain(O.runner.email);
    expect(forRun.text).not.toContain(O.viewer.email);
    expect((await slack.command("audit", O.manager.slack)).denied).toBe(true);
  });
});
