import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { buttonClickForm, postSigned } from "../support/slack-request.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { buttonsOf, integrationIdsOf, SlackSession } from "./slack-session.ts";

const O = WORLD.operators;
let testDb: TestDatabase;
let t: TestBot;
let db: Database;
let slack: SlackSession;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const setup = await testDb.open();
  await loadWorld(setup);
  await addIntegrations(setup, [{ id: "int_g1", configurationId: "cfg_1" }, { id: "int_g2", configurationId: "cfg_2" }, { id: "int_p1", configurationId: "cfg_3" }]);
  await setup.close();
  t = await startTestBot(testDb.url, { ALLOWED_CHANNELS: "C0OPS,C0ADMIN" });
  db = t.bot.runtime.db;
  for (const operator of Object.values(O)) t.slack.emails.set(operator.slack, operator.email);
  t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
  t.slack.usergroups.set("S0NEWTEAM", ["UNEWBIE"]);
  slack = new SlackSession(t);
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

/** Everything in the grants and operators tables, to show that a refused request changed nothing. */
async function accessSnapshot() {
  const grants = await db.models.Grant.findAll({ order: [["subjectKey", "ASC"], ["scopeKey", "ASC"]] });
  const operators = await db.models.Operator.findAll({ order: [["email", "ASC"]] });
  const links = await db.models.SlackLink.findAll({ order: [["slackUserId", "ASC"]] });
  return JSON.stringify([grants.map((g) => [g.subjectKey, g.scopeKey, g.permission]), operators.map((o) => [o.email, o.role]), links.map((l) => [l.slackUserId, l.operatorId])]);
}

describe("grant, revoke and link from Slack", () => {
  it("grants to a @user mention (mapped by Slack's email), and the grant works at once", async () => {
    expect((await slack.command("list", O.nobody.slack)).denied).toBe(true);
    const answer = await slack.command(`grant <@${O.nobody.slack}|nora> view group:g2`, O.admin.slack);
    expect(answer.text).toContain("nobody@example.com now has Can view on group Beta Group (g2)");
    const list = await slack.command("list", O.nobody.slack);
    expect(integrationIdsOf(list)).toEqual(["int_g2"]);
    const row = await db.models.AuditEvent.findOne({ where: { action: "grant", targetId: O.nobody.email } });
    expect([row?.actor, row?.groupId, row?.outcome, row?.detail]).toEqual([O.admin.email, "g2", "ok", "view"]);
  });

  it("grants to a user group mention and to an email Slack wrapped as mailto", async () => {
    const team = await slack.command("grant <!subteam^S0NEWTEAM|@newteam> run group:p1", O.admin.slack);
    expect(team.text).toContain("S0NEWTEAM now has Can run on partner Gamma Partner (p1)");
    const mail = await slack.command(`grant <mailto:${O.viewer.email}|${O.viewer.email}> run group:g1`, O.admin.slack);
    expect(mail.text).toContain("viewer@example.com now has Can run on group Acme Partners (g1) (was Can view)");
    // Granting what is held already changes nothing and says so.
    const again = await slack.command(`grant ${O.viewer.email} run group:g1`, O.admin.slack);
    expect(again.text).toContain("already has Can run");
  });

  it("revokes one step at a time: revoking run from manage leaves view", async () => {
    const answer = await slack.command(`revoke ${O.manager.email} run group:g1`, O.admin.slack);
    expect(answer.text).toContain("no longer has Can run");
    expect(answer.text).toContain("Can view is left");
    expect((await slack.command("show int_g1", O.manager.slack)).denied).toBe(false);
    expect((await slack.command("disable int_g1", O.manager.slack)).denied).toBe(true);
    await slack.command(`grant ${O.manager.email} manage group:g1`, O.admin.slack);
  });

  it("refuses bad input clearly and changes nothing", async () => {
    const before = await accessSnapshot();
    const cases: Array<[string, string]> = [
      ["grant ghost@example.com view group:g1", "No operator has the email ghost@example.com"],
      [`grant ${O.viewer.email} view group:g9`, "No group or partner has the id `g9`"],
      [`grant ${O.viewer.email} fly group:g1`, "`fly` is not a permission: use view, run, manage or admin"],
      [`grant ${O.viewer.email} admin group:g1`, "`admin` covers every group and partner"],
      ["grant S0ONCALL admin all", "a Slack user group cannot be made admin"],
      [`grant ${O.viewer.email} view`, "needs one scope"],
      [`grant ${O.viewer.email} view group:g1 all`, "needs one scope"],
      [`grant ${O.viewer.email}`, "needs `PERMISSION`"],
      ["grant <@UNOBODYKNOWS|x> view group:g1", "is not linked to an operator"],
      ["grant nonsense view group:g1", "is not an operator email"],
      [`revoke ${O.viewer.email} manage group:g2`, "was never granted Can manage on group Beta Group (g2); nothing changed"],
      [`revoke ${O.oncall.email} run group:g1`, "was never granted"],
      [`revoke ${O.viewer.email} admin all`, "is not an admin; nothing changed"],
      ["link nobody nobody@example.com", "is not a Slack user"],
      ["link <@UNEW|new> not-an-email", "is not an email address"],
    ];
    for (const [text, expected] of cases) {
      const answer = await slack.command(text, O.admin.slack);
      expect(answer.denied, text).toBe(false);
      expect(answer.text, text).toContain(expected);
      expect(answer.text, text).not.toContain("Something went wrong");
    }
    expect(await accessSnapshot()).toBe(before);
  });

  it("makes an operator admin on all, and revoking admin makes them a member, never the last admin", async () => {
    expect((await slack.command(`grant ${O.other.email} admin all`, O.admin.slack)).text).toContain("is now an admin");
    expect((await slack.command("audit", O.other.slack)).denied).toBe(false);
    expect((await slack.command(`revoke ${O.admin.email} admin all`, O.other.slack)).text).toContain("is now a member");
    expect((await slack.command("audit", O.admin.slack)).denied).toBe(true);
    const last = await slack.command(`revoke ${O.other.email} admin all`, O.other.slack);
    expect(last.text).toContain("the last admin");
    expect((await db.models.Operator.findOne({ where: { email: O.other.email } }))!.role).toBe("admin");
    expect((await slack.command(`grant ${O.admin.email} admin all`, O.other.slack)).text).toContain("is now an admin");
    expect((await slack.command(`revoke ${O.other.email} admin all`, O.admin.slack)).text).toContain("is now a member");
  });

  it("links a new Slack user to a new email as a member without grants, who can then be granted access", async () => {
    const answer = await slack.command("link <@UNEWBIE|newbie> newbie@example.com", O.admin.slack);
    expect(answer.text).toContain("<@UNEWBIE> is now linked to newbie@example.com");
    expect(answer.text).toContain("a new operator: a member with no grants");
    const whoami = await slack.command("whoami", "UNEWBIE");
    expect(whoami.text).toContain("newbie@example.com");
    expect(whoami.text).toContain("is linked to this operator");
    // The user group grant from before is theirs through Slack membership.
    expect(whoami.text).toContain("<!subteam^S0NEWTEAM>");
    expect(integrationIdsOf(await slack.command("list", "UNEWBIE"))).toEqual(["int_p1"]);
    expect((await slack.command("link <@UNEWBIE|newbie> newbie@example.com", O.admin.slack)).text).toContain("already linked");
    const relinked = await slack.command(`link <@UNEWBIE> ${O.viewer.email}`, O.admin.slack);
    expect(relinked.text).toContain("(was newbie@example.com)");
  });

  it("accepts grant, revoke and link only in ALLOWED_CHANNELS, and audits the refusal", async () => {
    const before = await accessSnapshot();
    const refused = await slack.command(`grant ${O.nobody.email} view group:g1`, O.admin.slack, { channel: "C0RANDOM" });
    expect(refused.denied).toBe(true);
    expect(refused.text).toContain("<#C0OPS>");
    expect((await slack.command("link <@UX|x> x@example.com", O.admin.slack, { channel: "C0RANDOM" })).denied).toBe(true);
    // A button from a message in another channel is refused the same way.
    expect((await slack.click("disable int_g1", O.manager.slack, { channel: "C0RANDOM" })).denied).toBe(true);
    // A button outside any channel (the App Home) is outside every allowed channel too.
    const home = JSON.parse(buttonClickForm("disable int_g1 from home", O.manager.slack, t.slack.responseUrl("home1")).payload!) as Record<string, unknown>;
    delete home.channel;
    home.container = { type: "view", view_id: "V0HOME" };
    expect((await postSigned(t.baseUrl, { payload: JSON.stringify(home) })).status).toBe(200);
    const fromHome = await eventually(() => t.slack.responses.find((r) => r.method === "/response/home1"));
    expect(JSON.stringify(fromHome.body)).toContain(":no_entry:");
    expect((await db.models.Integration.findByPk("int_g1"))!.status).toBe("enabled");
    expect(await accessSnapshot()).toBe(before);
    const denials = await db.models.AuditEvent.findAll({ where: { outcome: "denied", detail: "channel_not_allowed" } });
    expect(denials.map((row) => row.action).sort()).toEqual(["disable", "disable", "grant", "link"]);
    // Questions are fine anywhere; changes are fine in an allowed channel.
    expect((await slack.command("list", O.viewer.slack, { channel: "C0RANDOM" })).denied).toBe(false);
    expect((await slack.command(`grant ${O.nobody.email} view group:g1`, O.admin.slack, { channel: "C0ADMIN" })).text).toContain("now has Can view");
  });

  it("lists every grant and denial in audit, latest first, paged with Next page", async () => {
    // Enough denials for more than a page, written after an entry imported with an old date.
    await db.models.AuditEvent.create({ at: new Date("2020-01-01T00:00:00Z"), actor: "job:old-import", actorSlackUserId: null, action: "disable", targetId: "int_old", groupId: null, outcome: "ok", detail: null });
    for (let i = 0; i < 12; i++) await slack.command("audit", O.viewer.slack);
    const first = await slack.command("audit", O.admin.slack);
    // Latest means by when it happened, not by when it was written.
    expect(first.text).not.toContain("job:old-import");
    expect(first.text).toContain("Who: ");
    const next = buttonsOf(first).find((button) => button.label === "Next page");
    expect(next).toBeDefined();
    const second = await slack.click(next!.value, O.admin.slack);
    expect(second.denied).toBe(false);
    expect(second.body.replace_original).toBe(true);
    expect(second.text).toContain("page 2");
    const all = await db.models.AuditEvent.findAll({ order: [["id", "DESC"]] });
    expect(all.length).toBeGreaterThan(20);
    // Page one begins with the latest entry, and the two pages hold the 40 latest in order, each once.
    const shown = `${first.text}${second.text}`;
    expect(first.text).toContain(all[0]!.actor);
    expect(shown).toContain("denied");
    expect(shown).toContain("grant");
    const about = await slack.command("audit newbie@example.com", O.admin.slack);
    expect(about.text).toContain("link");
    expect(about.text).not.toContain("missing");
    // A viewer's button for page two gets them nothing.
    expect((await slack.click(next!.value, O.viewer.slack)).denied).toBe(true);
  });
});
