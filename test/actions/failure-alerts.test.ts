import { COMMANDS } from "../../commands/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFailureAlertsJob, failureAlerts } from "../../jobs/failure-alerts.ts";
import { drainOutbox } from "../../src/outbox/sender.ts";
import { JOBS } from "../../jobs/index.ts";
import type { Job } from "../../jobs/job.ts";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import { setIntegrationStatus } from "../../src/data/integration-status.ts";
import { findOperatorByEmail, operatorActor } from "../../src/data/operators.ts";
import type { RunInput } from "../../src/data/flow-runs.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { createWebClient, webChannelMessages } from "../../src/slack/web-client.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi, type RecordedCall } from "../support/slack-api.ts";
import { FlowEngine } from "../runner/flow-engine.ts";

const CHANNEL = "C0ALERTS";
const clock = new FakeClock("2026-11-20T12:00:00Z");
const job: Job = createFailureAlertsJob();

let testDb: TestDatabase;
let db: Database;
let slack: FakeSlackApi;
let engine: FlowEngine;
let runtime: Runtime;
let runCounter = 0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  slack = await new FakeSlackApi().start();
  engine = await new FlowEngine().start();
  await db.models.EmbedFlow.update({ triggerUrl: `${engine.url}/run` }, { where: {} });
  await addIntegrations(db, ["int_a", "int_b", "int_c", "int_d", "int_e", "int_old", "int_click"].map((id) => ({ id, name: `Sync ${id}` })));
  const config = loadConfig({
    DATABASE_URL: testDb.url,
    SLACK_BOT_TOKEN: "xoxb-test",
    SLACK_API_URL: slack.url,
    ALERTS_CHANNEL: CHANNEL,
    // These integrations fail with one error: single alerts are tested here, incidents in incidents.test.ts.
    INCIDENT_MIN_AFFECTED: "50",
    RUNNER_SIGNING_SECRET: "alerts-runner-secret",
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

/** Records runs of an integration, one a minute up to now. */
async function runs(integrationId: string, statuses: Array<"error" | "success">): Promise<void> {
  const inputs: RunInput[] = statuses.map((status) => {
    clock.advance(60_000);
    return {
      id: `r${++runCounter}`,
      integrationId,
      status,
      trigger: "scheduler",
      startedAt: clock.now(),
      finishedAt: clock.now(),
      error: status === "error" ? `401 from HubSpot (attempt ${runCounter})` : null,
    };
  });
  await addRuns(db, inputs, clock.now());
}

/** One firing, then the outbox sent out (as the running sender would), unpaced. */
async function fire(options: { dryRun?: boolean; with?: Job } = {}) {
  const summary = await (options.with ?? job).perform({
    runtime,
    firedAt: clock.now(),
    dryRun: options.dryRun ?? false,
    messages: runtime.services.messages,
    actor: { kind: "job", job: "failure-alerts" },
  });
  await drainOutbox({ db, messages: runtime.services.messages, spacingMs: 0, leaseTtlMs: 5_000 });
  return summary;
}

const blocksOf = (call: RecordedCall) => JSON.stringify(call.body.blocks);
const about = (calls: RecordedCall[], id: string) => calls.filter((call) => blocksOf(call).includes(`\`${id}\``));
const posts = (id: string) => about(slack.callsTo("chat.postMessage"), id);
const updates = (id: string) => about(slack.callsTo("chat.update"), id);
const buttons = (call: RecordedCall) =>
  (call.body.blocks as Array<{ type: string; elements?: Array<{ value: string; text: { text: string }; confirm?: unknown }> }>)
    .filter((block) => block.type === "actions")
    .flatMap((block) => block.elements ?? []);

describe("failure alerts", () => {
  it("is registered on ALERTS_CRON", () => {
    expect(JOBS).toContain(failureAlerts);
    expect(failureAlerts.schedule(runtime)).toBe("* * * * *");
  });

  it("posts one alert when an integration starts failing, with the error, how long, Re-run, Disable and Runs", async () => {
    await runs("int_a", ["success", "error", "error"]);
    await runs("int_b", ["error", "error"]);
    await fire();
    expect(posts("int_b")).toHaveLength(0);
    expect(posts("int_a")).toHaveLength(0);

    clock.advance(30 * 60_000);
    await runs("int_a", ["error"]);
    const summary = await fire();
    expect(summary.counts?.posted).toBe(1);
    const [alert] = posts("int_a");
    expect(alert!.body.channel).toBe(CHANNEL);
    expect(blocksOf(alert!)).toContain(`401 from HubSpot (attempt ${runCounter})`);
    expect(blocksOf(alert!)).toContain("3* failed runs in a row");
    expect(String(alert!.body.text)).toContain("for 34 minutes");
    const labels = buttons(alert!).map((b) => [b.text.text, b.value, Boolean(b.confirm)]);
    expect(labels).toEqual([
      ["Re-run", "run int_a", true],
      ["Disable", "disable int_a", true],
      ["Runs", "runs int_a", false],
    ]);
  });

  it("does not repeat the alert while the same streak goes on", async () => {
    await fire();
    await runs("int_a", ["error", "error"]);
    await fire();
    expect(posts("int_a")).toHaveLength(1);
    expect(await db.models.FailureAlert.count({ where: { integrationId: "int_a" } })).toBe(1);
  });

  it("updates the same message when the integration recovers, once", async () => {
    await runs("int_a", ["success"]);
    await fire();
    const [update] = updates("int_a");
    expect(update).toBeDefined();
    expect(update!.body.ts).toBe((await db.models.FailureAlert.findOne({ where: { integrationId: "int_a" } }))!.ts);
    expect(String(update!.body.text)).toContain("recovered");
    expect(buttons(update!).map((b) => b.text.text)).toEqual(["Runs"]);
    await fire();
    expect(updates("int_a")).toHaveLength(1);
    expect((await db.models.FailureAlert.findOne({ where: { integrationId: "int_a" } }))!.state).toBe("recovered");
  });

  it("alerts again for a new streak", async () => {
    await runs("int_a", ["error", "error", "error"]);
    await fire();
    expect(posts("int_a")).toHaveLength(2);
    expect(await db.models.FailureAlert.count({ where: { integrationId: "int_a" } })).toBe(2);
  });

  it("updates the alert when the integration is disabled", async () => {
    await runs("int_c", ["error", "error", "error"]);
    await fire();
    expect(posts("int_c")).toHaveLength(1);
    const manager = await operatorActor(db, (await findOperatorByEmail(db, WORLD.operators.manager.email))!);
    await setIntegrationStatus(db, { integrationId: "int_c", status: "disabled", actor: manager, reason: "customer left", at: clock.now() });
    await fire();
    const [update] = updates("int_c");
    expect(String(update!.body.text)).toContain("was disabled");
    expect(blocksOf(update!)).toContain("manager@example.com");
    expect(blocksOf(update!)).toContain("customer left");
    expect((await db.models.FailureAlert.findOne({ where: { integrationId: "int_c" } }))!.state).toBe("disabled");
  });

  it("posts nothing in a dry run and says what it would post", async () => {
    await runs("int_d", ["error", "error", "error"]);
    const calls = slack.calls.length;
    const summary = await fire({ dryRun: true });
    expect(slack.calls.length).toBe(calls);
    expect(summary.text).toContain("would post 1 alert");
    expect(summary.text).toContain("int_d");
    expect(await db.models.FailureAlert.count({ where: { integrationId: "int_d" } })).toBe(0);
    await fire();
    expect(posts("int_d")).toHaveLength(1);
  });

  it("leaves out streaks whose last failure is older than a day", async () => {
    await runs("int_old", ["error", "error", "error"]);
    clock.advance(25 * 60 * 60_000);
    await fire();
    expect(posts("int_old")).toHaveLength(0);
  });

  it("waits out Slack's rate limit and still posts the alert once", async () => {
    await runs("int_e", ["error", "error", "error"]);
    slack.queue("chat.postMessage", { status: 429, headers: { "retry-after": "1" }, body: { ok: false, error: "ratelimited" } });
    const before = slack.callsTo("chat.postMessage").length;
    const summary = await fire({ with: failureAlerts });
    // The first attempt was refused with 429; the client waited for Retry-After and sent it again.
    expect(slack.callsTo("chat.postMessage").length - before).toBe(2);
    expect(summary.counts?.posted).toBe(1);
    expect(await db.models.FailureAlert.count({ where: { integrationId: "int_e" } })).toBe(1);
    expect((await db.models.FailureAlert.findOne({ where: { integrationId: "int_e" } }))!.ts).toBeTruthy();
  });

  it("lets on-call press Re-run on the alert and see it turn to recovered", async () => {
    await runs("int_click", ["error", "error", "error"]);
    await fire();
    const [alert] = posts("int_click");
    const rerun = buttons(alert!).find((b) => b.text.text === "Re-run")!;
    engine.answer = () => ({ status: 200, body: { status: "success" } });
    const oncall = await operatorActor(db, (await findOperatorByEmail(db, WORLD.operators.oncall.email))!, { slackUserId: "UONCALL", usergroupIds: [WORLD.oncallGroup] });
    const reply = await runtime.dispatcher.handle(rerun.value, oncall, { transport: "slack", channelId: CHANNEL, fromButton: true, triggerId: "t-alert-1" });
    expect(reply.doc.text).toContain("requested");
    await runtime.background.settle(5_000);
    const announced = about(slack.callsTo("chat.update"), "int_click").find((call) => String(call.body.text).includes("succeeded"));
    expect(announced).toBeDefined();
    expect(engine.requests).toHaveLength(1);
    await fire();
    const recovered = updates("int_click").find((call) => String(call.body.text).includes("recovered"));
    expect(recovered!.body.ts).toBe((await db.models.FailureAlert.findOne({ where: { integrationId: "int_click" } }))!.ts);
  });

  it("alerts once when a scheduled integration becomes overdue, whatever the firings, and updates the message when it runs again", async () => {
    await addIntegrations(db, [{ id: "int_late", name: "Sync int_late" }]);
    // Six runs an hour apart, then silence: overdue after more than 3 hours (3 × the median gap).
    for (let i = 0; i < 6; i++) {
      clock.advance(3_600_000 - 60_000);
      await runs("int_late", ["success"]);
    }
    clock.advance(3 * 3_600_000);
    await fire();
    expect(posts("int_late")).toHaveLength(0);
    clock.advance(60_000);
    await fire();
    await fire();
    const [alert] = posts("int_late");
    expect(posts("int_late")).toHaveLength(1);
    expect(String(alert!.body.text)).toContain("is overdue: no run for 3 hours, usually every 1 h");
    expect((await db.models.FailureAlert.findOne({ where: { integrationId: "int_late" } }))!.kind).toBe("overdue");
    await runs("int_late", ["success"]);
    await fire();
    const recovered = updates("int_late").find((call) => String(call.body.text).includes("recovered after being overdue"));
    expect(recovered!.body.ts).toBe(alert!.body.ts ?? (await db.models.FailureAlert.findOne({ where: { integrationId: "int_late" } }))!.ts);
    expect(posts("int_late")).toHaveLength(1);
  });
});
