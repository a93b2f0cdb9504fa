import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.ts";
import { DIRECTORY_TTL_MS } from "../../src/slack/identity.ts";
import { startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { SlackSession } from "./slack-session.ts";

const O = WORLD.operators;
const clock = new FakeClock("2026-11-20T12:00:00Z");
let testDb: TestDatabase;
let t: TestBot;
let slack: SlackSession;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const setup = await testDb.open();
  await loadWorld(setup);
  await addIntegrations(setup, [{ id: "int_g1", configurationId: "cfg_1" }, { id: "int_g2", configurationId: "cfg_2" }]);
  await setup.close();
  t = await startTestBot(testDb.url, {}, { clock });
  t.slack.emails.set(O.admin.slack, O.admin.email);
  t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
  slack = new SlackSession(t);
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

const infoCalls = (user: string) => t.slack.callsTo("users.info").filter((call) => call.body.user === user).length;
const memberCalls = () => t.slack.callsTo("usergroups.users.list").length;
const afterTtl = () => clock.advance(DIRECTORY_TTL_MS + 1_000);

describe("Slack users map to operators through the Web API", () => {
  it("maps by the email users.info reports, case-insensitively, and caches it for a few minutes", async () => {
    t.slack.emails.set("UMIXED", "Viewer@Example.COM");
    const first = await slack.command("whoami", "UMIXED");
    expect(first.text).toContain(O.viewer.email);
    expect(first.text).toContain("by the email Slack reports");
    await slack.command("show int_g1", "UMIXED");
    expect(infoCalls("UMIXED")).toBe(1);

    // Slack now reports another email: within the cache time the old answer holds, after it the new one.
    t.slack.emails.set("UMIXED", O.other.email);
    expect((await slack.command("show int_g2", "UMIXED")).denied).toBe(true);
    afterTtl();
    expect((await slack.command("show int_g2", "UMIXED")).denied).toBe(false);
    expect(infoCalls("UMIXED")).toBe(2);
  });

  it("treats a Slack user whose email no operator has as unmapped, and says how to get access", async () => {
    t.slack.emails.set("USTRANGER", "stranger@example.com");
    const whoami = await slack.command("whoami", "USTRANGER");
    expect(whoami.denied).toBe(false);
    expect(whoami.text).toContain("not linked");
    expect(whoami.text).toContain("stranger@example.com");
    expect(whoami.text).toContain("link @you");
    expect(whoami.text).toContain(O.admin.email);
    expect((await slack.command("help", "USTRANGER")).denied).toBe(false);
    expect((await slack.command("show int_g1", "USTRANGER")).denied).toBe(true);
    // An unmapped user learns nothing about which ids exist.
    const missing = await slack.command("show int_nope", "USTRANGER");
    expect(missing.denied).toBe(true);
    expect(missing.text).not.toContain("No integration");
  });

  it("caches Slack's answer that a user does not exist, and maps a deactivated account to no one", async () => {
    await slack.command("whoami", "UGHOST");
    await slack.command("whoami", "UGHOST");
    expect(infoCalls("UGHOST")).toBe(1);

    t.slack.queue("users.info", { body: { ok: true, user: { id: "UGONE", deleted: true, profile: { email: O.manager.email } } } });
    const gone = await slack.command("disable int_g1", "UGONE");
    expect(gone.denied).toBe(true);
    expect(gone.text).toContain("not linked");
  });

  it("prefers an explicit link by Slack user id over the email Slack reports", async () => {
    t.slack.emails.set("UTWIN", O.viewer.email);
    expect((await slack.command("whoami", "UTWIN")).text).toContain(O.viewer.email);
    const linked = await slack.command(`link <@UTWIN|twin> ${O.manager.email}`, O.admin.slack);
    expect(linked.text).toContain("now linked");
    // No cache delay: the link is read from the database on every request.
    const whoami = await slack.command("whoami", "UTWIN");
    expect(whoami.text).toContain(O.manager.email);
    expect(whoami.text).toContain("is linked to this operator");
    expect((await slack.command("disable int_g1 linked manager", "UTWIN")).denied).toBe(false);
    await slack.command("enable int_g1", "UTWIN");
  });

  it("gives user-group grants to the group's members, cached, and re-reads membership after the cache time", async () => {
    t.slack.emails.set(O.oncall.slack, O.oncall.email);
    afterTtl();
    const callsBefore = memberCalls();
    const whoami = await slack.command("whoami", O.oncall.slack);
    expect(whoami.text).toContain("<!subteam^S0ONCALL>");
    expect(whoami.text).toContain("Can run");
    expect(whoami.text).toContain("all groups and partners");
    expect((await slack.command("show int_g2", O.oncall.slack)).denied).toBe(false);
    expect(memberCalls() - callsBefore).toBe(1);

    // Removed from the user group in Slack: the grant lasts until the cache time is over, then it is gone.
    t.slack.usergroups.set(WORLD.oncallGroup, []);
    expect((await slack.command("show int_g2", O.oncall.slack)).denied).toBe(false);
    afterTtl();
    const after = await slack.command("show int_g2", O.oncall.slack);
    expect(after.denied).toBe(true);
    expect(after.text).toContain("Can view");
    expect(memberCalls() - callsBefore).toBe(2);
  });

  it("gives a linked user their own grants and, while they are in it, their user group's", async () => {
    const linked = await slack.command(`link <@ULINKVIEW|lv> ${O.viewer.email}`, O.admin.slack);
    expect(linked.text).toContain("now linked");
    t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
    afterTtl();
    // The viewer's own grant (view on g1) only: g2 is out of reach, and nothing may be run.
    expect((await slack.command("show int_g1", "ULINKVIEW")).denied).toBe(false);
    expect((await slack.command("show int_g2", "ULINKVIEW")).denied).toBe(true);
    t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack, "ULINKVIEW"]);
    afterTtl();
    const whoami = await slack.command("whoami", "ULINKVIEW");
    expect(whoami.text).toContain(O.viewer.email);
    expect(whoami.text).toContain("<!subteam^S0ONCALL>");
    expect((await slack.command("show int_g2", "ULINKVIEW")).denied).toBe(false);
    t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
    afterTtl();
    expect((await slack.command("show int_g2", "ULINKVIEW")).denied).toBe(true);
  });

  it("gives nothing through a user group Slack fails to answer for, and asks again on the next request", async () => {
    t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
    afterTtl();
    t.slack.queue("usergroups.users.list", { body: { ok: false, error: "fatal_error" } });
    expect((await slack.command("show int_g2", O.oncall.slack)).denied).toBe(true);
    // The failure was not cached: the next request reads the membership again, with no clock change.
    expect((await slack.command("show int_g2", O.oncall.slack)).denied).toBe(false);
  });
});
