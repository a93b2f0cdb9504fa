import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands/index.ts";
import { createFailureAlertsJob } from "../../jobs/failure-alerts.ts";
import { housekeepingReport } from "../../jobs/housekeeping-report.ts";
import type { Job } from "../../jobs/job.ts";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import type { RunInput } from "../../src/data/flow-runs.ts";
import { findOperatorByEmail, operatorActor } from "../../src/data/operators.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import type { Doc } from "../../src/reply/document.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { drainOutbox } from "../../src/outbox/sender.ts";
import { createWebClient, webChannelMessages } from "../../src/slack/web-client.ts";
import { toText } from "../../src/slack/text-renderer.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi, type RecordedCall } from "../support/slack-api.ts";
import { FlowEngine } from "../runner/flow-engine.ts";

const CHANNEL = "C0ALERTS";
const HOUSE = "C0HOUSE";
const clock = new FakeClock("2026-11-20T12:00:00Z");
const job: Job = createFailureAlertsJob();

let testDb: TestDatabase;
let db: Database;
let slack: FakeSlackApi;
let engine: FlowEngine;
let runtime: Runtime;
let runCounter = 0;

// Copies of one Embed Flow across groups: g1 (cfg_1), g2 (cfg_2), p1 (cfg_3).
const OUTAGE = ["o1", "o2", "o3", "o4", "o5", "o6"];
const CONFIG_OF: Record<string, "cfg_1" | "cfg_2" | "cfg_3"> = { o1: "cfg_1", o2: "cfg_2", o3: "cfg_3", o4: "cfg_1", o5: "cfg_2", o6: "cfg_1" };

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  slack = await new FakeSlackApi().start();
  engine = await new FlowEngine().start();
  await db.models.EmbedFlow.update({ triggerUrl: `${engine.url}/run` }, { where: {} });
  await addIntegrations(db, [
    ...OUTAGE.map((id) => ({ id, name: `Copy ${id}`, configurationId: CONFIG_OF[id], flowId: "flow_1", accountId: id === "o4" ? "acc_o1" : `acc_${id}` })),
    { id: "alone", name: "Lonely copy", flowId: "flow_1" },
  ]);
  const config = loadConfig({
    DATABASE_URL: testDb.url,
    SLACK_BOT_TOKEN: "xoxb-test",
    SLACK_API_URL: slack.url,
    ALERTS_CHANNEL: CHANNEL,
    HOUSEKEEPING_CHANNEL: HOUSE,
    AUTO_DISABLE_AFTER_DAYS: "3",
    RUNNER_SIGNING_SECRET: "incidents-runner-secret",
    LOG_LEVEL: "silent",
  });
  runtime = await openRuntime(config, { clock, db, messages: webChannelMessages(createWebClient(config)), commands: COMMANDS });
});

afterAll(async () => {
  await runtime?.close();
  await db?.close();
  await slack?.stop();
  await engine?.stop();
  await testDb?.drop();
});

/** Three failed runs of an integration, the first (its streak's start) at `at`, one second apart. */
async function fail(integrationId: string, at: Date, error: string, count = 3): Promise<void> {
  const inputs: RunInput[] = Array.from({ length: count }, (_, i) => {
    const startedAt = new Date(at.getTime() + i * 1_000);
    return { id: `r${++runCounter}`, integrationId, status: "error", trigger: "scheduler", startedAt, finishedAt: startedAt, error };
  });
  await addRuns(db, inputs, clock.now());
}

async function succeed(integrationId: string): Promise<void> {
  const at = clock.now();
  await addRuns(db, [{ id: `r${++runCounter}`, integrationId, status: "success", trigger: "scheduler", startedAt: at, finishedAt: at }], at);
}

/** The outage's error, as each copy words it: another request id, account and quoted field every time. */
const outageError = (id: string) => `Salesforce answered 503 for request req_${id}9f3a1 (account acc_${id}@example.com): "Service Unavailable" at https://sf.example.com/${id}/sync`;

async function fire(options: { dryRun?: boolean } = {}) {
  const summary = await job.perform({ runtime, firedAt: clock.now(), dryRun: options.dryRun ?? false, messages: runtime.services.messages, actor: { kind: "job", job: "failure-alerts" } });
  // Single alerts are queued in the outbox; its sender posts them.
  await drainOutbox({ db, messages: runtime.services.messages, spacingMs: 0, leaseTtlMs: 5_000 });
  return summary;
}

/** A message's blocks as JSON, with Slack's escaping of < and > undone. */
const blocksOf = (call: RecordedCall) => JSON.stringify(call.body.blocks).replace(/&lt;/g, "<").replace(/&gt;/g, ">");
const about = (calls: RecordedCall[], needle: string) => calls.filter((call) => blocksOf(call).includes(needle));
const incidentPosts = () => about(slack.callsTo("chat.postMessage"), "Incident `inc_");
const incidentUpdates = () => about(slack.callsTo("chat.update"), "Incident `inc_");
const singlePosts = (id: string) => about(slack.callsTo("chat.postMessage"), `\`${id}\``).filter((call) => !blocksOf(call).includes("Incident `inc_"));
const buttons = (call: RecordedCall) =>
  (call.body.blocks as Array<{ type: string; elements?: Array<{ value: string; text: { text: string } }> }>)
    .filter((block) => block.type === "actions")
    .flatMap((block) => block.elements ?? []);

async function actorOf(email: string, options: { slackUserId?: string; usergroupIds?: string[] } = {}): Promise<Actor> {
  return operatorActor(db, (await findOperatorByEmail(db, email))!, options);
}

/** The row of `incidents`' table about one incident. */
function rowOf(doc: Doc, id: string): string[] {
  const table = doc.blocks.find((block) => block.type === "table") as { rows: string[][] } | undefined;
  const row = table?.rows.find((cells) => cells[0] === id);
  expect(row).toBeDefined();
  return row!;
}

/** The ts of an incident's posted message, as recorded. */
async function incidentTs(id: string): Promise<string> {
  const rows = (await db.sequelize.query("SELECT ts FROM incidents WHERE id = :id", { replacements: { id }, type: "SELECT" })) as Array<{ ts: string }>;
  expect(rows[0]?.ts).toBeTruthy();
  return rows[0]!.ts;
}

async function openIncidentId(flowId: string): Promise<string> {
  const rows = (await db.sequelize.query("SELECT id FROM incidents WHERE flow_id = :flowId AND state = 'open'", { replacements: { flowId }, type: "SELECT" })) as Array<{ id: string }>;
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

describe("incidents", () => {
  const start = new Date("2026-11-20T12:00:00Z");

  it("keeps each copy's error signature on the integration: one signature for the outage, null once it succeeds", async () => {
    clock.set("2026-11-20T12:05:00Z");
    await fail("o1", start, outageError("o1"));
    const [row] = (await db.sequelize.query("SELECT latest_error_signature FROM integrations WHERE id = 'o1'", { type: "SELECT" })) as Array<{ latest_error_signature: string }>;
    expect(row!.latest_error_signature).toBe("Salesforce answered <n> for request <id> (account <email>): <str> at <url>");
    // A 10 KB error keeps a bounded signature; a success clears it.
    await fail("alone", new Date(start.getTime() - 3_600_000), `Stack: ${"at step_1234 (/srv/x.js:1:2) ".repeat(400)}`, 1);
    const signatureOf = async (id: string) =>
      ((await db.sequelize.query("SELECT latest_error_signature FROM integrations WHERE id = :id", { replacements: { id }, type: "SELECT" })) as Array<{ latest_error_signature: string | null }>)[0]!.latest_error_signature;
    expect((await signatureOf("alone"))!.length).toBeLessThanOrEqual(300);
    expect(await signatureOf("alone")).toMatch(/^Stack: at <id> \(\/srv\/x\.js:<n>\)/);
    clock.set("2026-11-20T11:30:00Z");
    await succeed("alone");
    expect(await signatureOf("alone")).toBeNull();
    clock.set("2026-11-20T12:05:00Z");
  });

  it("opens no incident at one fewer than INCIDENT_MIN_AFFECTED: those get single alerts", async () => {
    await fail("o2", new Date(start.getTime() + 60_000), outageError("o2"));
    const summary = await fire();
    expect(summary.counts?.incidentsOpened).toBe(0);
    expect(incidentPosts()).toHaveLength(0);
    expect(singlePosts("o1")).toHaveLength(1);
    expect(singlePosts("o2")).toHaveLength(1);
  });

  it("opens one incident at exactly INCIDENT_MIN_AFFECTED, posted once, and the new member gets no single alert", async () => {
    await fail("o3", new Date(start.getTime() + 2 * 60_000), outageError("o3"));
    const summary = await fire();
    expect(summary.counts?.incidentsOpened).toBe(1);
    const [post] = incidentPosts();
    expect(incidentPosts()).toHaveLength(1);
    expect(post!.body.channel).toBe(CHANNEL);
    const id = await openIncidentId("flow_1");
    expect(id).toMatch(/^inc_[0-9a-f]{10}$/);
    const blocks = blocksOf(post!);
    expect(String(post!.body.text)).toContain("3 integrations of HubSpot to CRM");
    expect(String(post!.body.text)).toContain("3 accounts");
    expect(blocks).toContain("Salesforce answered <n> for request <id>");
    // One real error beside the signature.
    expect(blocks).toMatch(/Salesforce answered 503 for request req_o\d9f3a1/);
    expect(blocks).toContain("Acme Partners (1)");
    expect(blocks).toContain("Beta Group (1)");
    expect(blocks).toContain("Gamma Partner (1)");
    expect(blocks).toContain("2026-11-20 12:00");
    expect(buttons(post!).map((b) => [b.text.text, b.value])).toEqual([
      ["Re-run affected", `rerun failing incident:${id}`],
      ["Members", `list incident:${id}`],
    ]);
    expect(singlePosts("o3")).toHaveLength(0);
    // A second firing over the same facts changes and posts nothing.
    const again = await fire();
    expect(again.counts?.incidentsOpened).toBe(0);
    expect(incidentPosts()).toHaveLength(1);
    expect(incidentUpdates()).toHaveLength(0);
  });

  it("takes in later members with one update per firing, however many join", async () => {
    clock.set("2026-11-20T14:00:00Z");
    // Hours later than the first streaks: members join an open incident whatever the window.
    await fail("o4", clock.now(), outageError("o4"));
    await fail("o5", clock.now(), outageError("o5"));
    await fire();
    expect(incidentPosts()).toHaveLength(1);
    const updates = incidentUpdates();
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body.ts).toBe(await incidentTs(await openIncidentId("flow_1")));
    expect(String(updates[0]!.body.text)).toContain("5 integrations");
    // o4 shares o1's end account.
    expect(String(updates[0]!.body.text)).toContain("4 accounts");
    expect(blocksOf(updates[0]!)).toContain("Acme Partners (2)");
    expect(singlePosts("o4")).toHaveLength(0);
    expect(singlePosts("o5")).toHaveLength(0);
  });

  it("still alerts on its own an integration of the same flow failing alone with another error", async () => {
    await fail("alone", clock.now(), "Mapping failed: field \"Phone\" is missing");
    await fire();
    expect(singlePosts("alone")).toHaveLength(1);
    expect(incidentUpdates()).toHaveLength(1);
  });

  it("answers `incidents` within the caller's view and `list incident:ID` with its members in scope", async () => {
    const id = await openIncidentId("flow_1");
    const admin = await actorOf(WORLD.operators.admin.email);
    const viewer = await actorOf(WORLD.operators.viewer.email);
    const nobody = await actorOf(WORLD.operators.nobody.email);
    const origin = { transport: "console" as const };
    const all = await runtime.dispatcher.handle("incidents", admin, origin);
    const allText = toText(all.doc, "/integrations");
    expect(allText).toContain(id);
    expect(allText).toContain("HubSpot to CRM");
    expect(allText).not.toContain("*");
    // An 80-column console keeps the id, the count and the error, cut to fit.
    const narrow = toText(all.doc, { slashCommand: "/integrations", width: 80 });
    expect(narrow.split("\n").every((line) => line.length <= 80)).toBe(true);
    expect(narrow).toContain(id);
    const line = narrow.split("\n").find((text) => text.startsWith(id))!;
    expect(line).toContain("Salesforce answered");
    expect(line).toMatch(/\s5$/);
    expect(rowOf(all.doc, id)).toEqual([id, "HubSpot to CRM", expect.stringContaining("Salesforce answered &lt;n&gt; for request &lt;id&gt;"), "5", "4", expect.stringContaining("2026-11-20 12:00")]);
    // The viewer sees g1 only: o1 and o4, of one account.
    const mine = await runtime.dispatcher.handle("incidents", viewer, origin);
    expect(rowOf(mine.doc, id).slice(3, 5)).toEqual(["2", "1"]);
    const other = await runtime.dispatcher.handle("incidents", await actorOf(WORLD.operators.other.email), origin);
    expect(rowOf(other.doc, id).slice(3, 5)).toEqual(["2", "2"]);
    const none = await runtime.dispatcher.handle("incidents", nobody, origin);
    expect(toText(none.doc, "/integrations")).toContain("needs Can view");
    expect(toText(none.doc, "/integrations")).not.toContain(id);

    const listed = toText((await runtime.dispatcher.handle(`list incident:${id}`, viewer, origin)).doc, "/integrations");
    expect(listed).toContain("o1");
    expect(listed).toContain("o4");
    expect(listed).not.toContain("o2");
    expect(listed).not.toContain("alone");
    const everyone = toText((await runtime.dispatcher.handle(`list incident:${id}`, admin, origin)).doc, "/integrations");
    for (const member of ["o1", "o2", "o3", "o4", "o5"]) expect(everyone).toContain(member);
    expect(everyone).not.toContain("alone");

    const bad = await runtime.dispatcher.handle("list incident:inc_0000000000", admin, origin);
    expect(bad.doc.text).toContain("No incident");
    const malformed = await runtime.dispatcher.handle("list incident:oops", admin, origin);
    expect(malformed.doc.text).toContain("not an incident id");
  });

  it("lets Re-run affected preview a bulk run of only the members the clicker may run", async () => {
    const id = await openIncidentId("flow_1");
    const button = buttons(incidentPosts()[0]!).find((b) => b.text.text === "Re-run affected")!;
    // The outage goes on: re-runs fail with the same error.
    engine.answer = (request) => ({ status: 200, body: { status: "error", error: outageError(String(request.body.integration_id)) } });
    const before = engine.requests.length;
    // Rita may run g1 only: o1 and o4 of the five.
    const runner = await actorOf(WORLD.operators.runner.email, { slackUserId: "URUN" });
    const reply = await runtime.dispatcher.handle(button.value, runner, { transport: "slack", channelId: CHANNEL, fromButton: true, triggerId: "t-incident-1" });
    // A bulk run of the members Rita may run: a preview first, nothing sent yet.
    expect(reply.doc.text).toContain("Run 2 integrations in 1 group");
    expect(engine.requests.length).toBe(before);
    // On-call may run everywhere: all five members.
    const oncall = await actorOf(WORLD.operators.oncall.email, { slackUserId: "UONCALL", usergroupIds: [WORLD.oncallGroup] });
    const all = await runtime.dispatcher.handle(button.value, oncall, { transport: "slack", channelId: CHANNEL, fromButton: true, triggerId: "t-incident-3" });
    expect(all.doc.text).toContain("Run 5 integrations in 3 groups");
    expect(id).toMatch(/^inc_/);
  });

  it("never auto-disables a member for the incident's failure, and the report says so; a lone failure is disabled", async () => {
    // The report names the failing integrations; AUTO_DISABLE_AFTER_DAYS (3) later it disables what is still failing.
    await housekeepingReport.perform({ runtime, firedAt: clock.now(), dryRun: false, messages: runtime.services.messages, actor: { kind: "job", job: "housekeeping-report" } });
    clock.advance(4 * 24 * 60 * 60_000);
    await fire();
    const summary = await housekeepingReport.perform({ runtime, firedAt: clock.now(), dryRun: false, messages: runtime.services.messages, actor: { kind: "job", job: "housekeeping-report" } });
    await drainOutbox({ db, messages: runtime.services.messages, spacingMs: 0, leaseTtlMs: 5_000 });
    const status = async (id: string) => (await db.models.Integration.findByPk(id))!.status;
    for (const member of ["o1", "o2", "o3", "o4", "o5"]) expect(await status(member)).toBe("enabled");
    expect(await status("alone")).toBe("disabled");
    expect(summary.counts?.sparedByIncidents).toBe(5);
    const notice = slack.callsTo("chat.postMessage").find((call) => call.body.channel === HOUSE && String(call.body.text).startsWith("Not auto-disabled"));
    expect(notice).toBeDefined();
    const id = await openIncidentId("flow_1");
    expect(blocksOf(notice!)).toContain(id);
    expect(blocksOf(notice!)).toContain("o3");
  });

  it("updates the message as members recover, and marks it resolved when none fails with the signature any more", async () => {
    const id = await openIncidentId("flow_1");
    const updatesBefore = incidentUpdates().length;
    await succeed("o1");
    await succeed("o2");
    await fire();
    const grown = incidentUpdates().slice(updatesBefore);
    expect(grown).toHaveLength(1);
    expect(blocksOf(grown[0]!)).toMatch(/Failing \/ recovered.*?3 \/ 2/);
    for (const member of ["o3", "o4", "o5"]) await succeed(member);
    const summary = await fire();
    expect(summary.counts?.incidentsResolved).toBe(1);
    const resolved = incidentUpdates().slice(updatesBefore + 1);
    expect(resolved).toHaveLength(1);
    expect(String(resolved[0]!.body.text)).toContain(`Incident ${id} resolved`);
    expect(buttons(resolved[0]!).map((b) => b.text.text)).toEqual(["Members"]);
    expect(resolved[0]!.body.ts).toBe(await incidentTs(id));
    await fire();
    expect(incidentUpdates().slice(updatesBefore)).toHaveLength(2);
    const incidents = toText((await runtime.dispatcher.handle("incidents", await actorOf(WORLD.operators.admin.email), { transport: "console" })).doc, "/integrations");
    expect(incidents).not.toContain(id);
    // Its members can still be listed.
    const listed = toText((await runtime.dispatcher.handle(`list incident:${id}`, await actorOf(WORLD.operators.admin.email), { transport: "console" })).doc, "/integrations");
    expect(listed).toContain("o3");
  });

  it("opens when the streaks began exactly INCIDENT_WINDOW_MINUTES apart, not one minute more", async () => {
    clock.set("2026-11-25T12:00:00Z");
    const t = new Date("2026-11-25T10:00:00Z");
    await addIntegrations(db, ["w1", "w2", "w3", "x1", "x2", "x3"].map((id) => ({ id, flowId: "flow_2", configurationId: "cfg_1" as const, createdAt: new Date("2026-11-24T00:00:00Z") })));
    await fail("w1", t, "Webhook w1 refused: 410 Gone");
    await fail("w2", new Date(t.getTime() + 30 * 60_000), "Webhook w2 refused: 410 Gone");
    await fail("w3", new Date(t.getTime() + 60 * 60_000), "Webhook w3 refused: 410 Gone");
    await fail("x1", t, "Token of x1 expired 3 days ago");
    await fail("x2", new Date(t.getTime() + 30 * 60_000), "Token of x2 expired 3 days ago");
    await fail("x3", new Date(t.getTime() + 61 * 60_000), "Token of x3 expired 3 days ago");
    const dry = await fire({ dryRun: true });
    expect(dry.counts?.wouldOpenIncidents).toBe(1);
    const posted = incidentPosts().length;
    const summary = await fire();
    expect(summary.counts?.incidentsOpened).toBe(1);
    const [opened] = incidentPosts().slice(posted);
    expect(blocksOf(opened!)).toContain("Webhook w<n> refused: <n> Gone");
    expect(incidentPosts().slice(posted)).toHaveLength(1);
    for (const id of ["x1", "x2", "x3"]) expect(singlePosts(id)).toHaveLength(1);
    for (const id of ["w1", "w2", "w3"]) expect(singlePosts(id)).toHaveLength(0);
  });
});
