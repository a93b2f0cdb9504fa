import { COMMANDS } from "../../commands/index.ts";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { findOperatorByEmail, operatorActor } from "../../src/data/operators.ts";
import { openRuntime } from "../../src/runtime.ts";
import type { ChannelMessages } from "../../src/reply/messages.ts";
import { eventually, startWorldBot, type TestBot } from "../support/bot.ts";
import type { TestDatabase } from "../support/database.ts";
import { addRuns, WORLD } from "../support/fixtures.ts";
import type { RecordedCall } from "../support/slack-api.ts";
import { buttonClickForm, postSigned, slashCommandForm } from "../support/slack-request.ts";
import { FlowEngine } from "../runner/flow-engine.ts";

const SECRET = "runner-secret-e2e";
const O = WORLD.operators;

let testDb: TestDatabase;
let t: TestBot;
let engine: FlowEngine;

beforeAll(async () => {
  engine = await new FlowEngine().start();
  ({ testDb, t } = await startWorldBot({
    flowEngineUrl: engine.url,
    env: { RUNNER_SIGNING_SECRET: SECRET, RUNNER_TIMEOUT_MS: "3000" },
    integrations: [
    { id: "int_ok", name: "HubSpot to CRM for Jane" },
    { id: "int_fail" },
    { id: "int_slow" },
    { id: "int_retry" },
    { id: "int_click" },
    { id: "int_off", status: "disabled" },
    { id: "int_g2", configurationId: "cfg_2" },
    { id: "int_nosecret" },
    ],
    prepare: (db) => addRuns(db, [{ id: "old_1", integrationId: "int_fail", status: "error", trigger: "scheduler", startedAt: new Date("2026-11-19T10:00:00Z"), error: "401 from HubSpot" }]),
  }));
  t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
});

afterAll(async () => {
  await t?.stop();
  await engine?.stop();
  await testDb?.drop();
});

beforeEach(() => engine.reset());

/** Sends a signed slash command and waits for its answer on the response_url. */
async function command(text: string, user: string, responseId: string, form?: Record<string, string>) {
  const response = await postSigned(t.baseUrl, form ?? slashCommandForm(text, user, t.slack.responseUrl(responseId)));
  expect(response.status).toBe(200);
  return eventually(() => t.slack.responses.find((r) => r.method === `/response/${responseId}`));
}

const blocksOf = (call: RecordedCall) => JSON.stringify(call.body.blocks);
const postsAbout = (id: string) => t.slack.callsTo("chat.postMessage").filter((call) => blocksOf(call).includes(`\`${id}\``));
const updatesAbout = (id: string) => t.slack.callsTo("chat.update").filter((call) => blocksOf(call).includes(`\`${id}\``));

describe("run over Slack", () => {
  it("announces the run in the channel at once and updates that message with the outcome", async () => {
    engine.answer = () => ({ status: 200, body: { status: "success" }, delayMs: 100 });
    const answer = await command("run int_ok", O.runner.slack, "run-ok");
    expect(answer.body.response_type).toBe("ephemeral");
    expect(blocksOf(answer)).toContain("requested");

    const [post] = await eventually(() => (postsAbout("int_ok").length ? postsAbout("int_ok") : undefined));
    expect(post!.body.channel).toBe("C0OPS");
    expect(String(post!.body.text)).toContain("Run of HubSpot to CRM for Jane requested by <@URUN>");

    const update = await eventually(() => updatesAbout("int_ok").find((call) => blocksOf(call).includes("succeeded")));
    expect(update.body.channel).toBe("C0OPS");

    expect(engine.requests).toHaveLength(1);
    const { payload } = await jwtVerify(engine.requests[0]!.token, new TextEncoder().encode(SECRET));
    expect(payload.requested_by).toBe(O.runner.email);
    expect(payload.integration_id).toBe("int_ok");

    const db = t.bot.runtime.db;
    const run = await db.models.FlowRun.findByPk(String(payload.jti));
    expect(run!.status).toBe("success");
    expect(run!.trigger).toBe("manual");
    expect(run!.requestedBy).toBe(O.runner.email);
    expect(run!.slackChannel).toBe("C0OPS");
    // The update went to the very message the request was announced in.
    expect(update.body.ts).toBe(run!.slackTs);
  });

  it("turns the message to the error when the engine answers 500", async () => {
    engine.answer = () => ({ status: 500, body: { error: "engine exploded" } });
    await command("run int_fail", O.runner.slack, "run-fail");
    const update = await eventually(() => updatesAbout("int_fail").find((call) => blocksOf(call).includes("failed")));
    expect(blocksOf(update)).toContain("engine exploded");
    expect(blocksOf(update)).toContain("Re-run");
    const audit = await t.bot.runtime.db.models.AuditEvent.findAll({ where: { action: "run", targetId: "int_fail" }, order: [["id", "ASC"]] });
    expect(audit.map((event) => event.outcome)).toEqual(["ok", "error"]);
    expect(audit[1]!.detail).toContain("500");
  });

  it("answers a second run while the first is running with who started it, and sends nothing", async () => {
    engine.answer = () => ({ hold: true });
    await command("run int_slow", O.runner.slack, "slow-1");
    await eventually(() => (engine.requests.length === 1 ? true : undefined));
    const second = await command("run int_slow", O.oncall.slack, "slow-2");
    expect(blocksOf(second)).toContain("already running");
    expect(blocksOf(second)).toContain(O.runner.email);
    engine.release();
    await eventually(() => (updatesAbout("int_slow").length ? true : undefined));
    expect(engine.requests).toHaveLength(1);
    const noop = await t.bot.runtime.db.models.AuditEvent.findOne({ where: { action: "run", targetId: "int_slow", outcome: "noop" } });
    expect(noop!.actor).toBe(O.oncall.email);
  });

  it("sends one run request for a Slack request delivered twice", async () => {
    engine.answer = () => ({ status: 200, body: { status: "success" } });
    const form = slashCommandForm("run int_retry", O.runner.slack, t.slack.responseUrl("retry-1"));
    await command("run int_retry", O.runner.slack, "retry-1", form);
    await eventually(() => (updatesAbout("int_retry").length ? true : undefined));
    const again = await postSigned(t.baseUrl, { ...form, response_url: t.slack.responseUrl("retry-2") });
    expect(again.status).toBe(200);
    const answer = await eventually(() => t.slack.responses.find((r) => r.method === "/response/retry-2"));
    expect(blocksOf(answer)).toContain("already requested");
    expect(engine.requests).toHaveLength(1);
    expect(postsAbout("int_retry")).toHaveLength(1);
  });

  it("sends one run request for a double click on Run", async () => {
    engine.answer = () => ({ status: 200, body: { status: "success" } });
    await Promise.all([
      postSigned(t.baseUrl, buttonClickForm("run int_click", O.runner.slack, t.slack.responseUrl("click-1"))),
      postSigned(t.baseUrl, buttonClickForm("run int_click", O.runner.slack, t.slack.responseUrl("click-2"))),
    ]);
    await eventually(() => (t.slack.responses.filter((r) => r.method.startsWith("/response/click-")).length === 2 ? true : undefined));
    await eventually(() => (updatesAbout("int_click").length ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.requests).toHaveLength(1);
  });

  it("does not run a disabled integration and says how to enable it", async () => {
    const answer = await command("run int_off", O.admin.slack, "off");
    expect(blocksOf(answer)).toContain("is disabled");
    expect(blocksOf(answer)).toContain("enable int_off");
    expect(engine.requests).toHaveLength(0);
  });

  it("refuses whoever may not run it, audited, and sends nothing", async () => {
    const viewer = await command("run int_ok", O.viewer.slack, "deny-1");
    expect(blocksOf(viewer)).toContain("Can run");
    const otherGroup = await command("run int_g2", O.runner.slack, "deny-2");
    expect(blocksOf(otherGroup)).toContain("Can run");
    const unknown = await command("run int_nope", O.runner.slack, "deny-3");
    expect(blocksOf(unknown)).toContain("No integration");
    expect(engine.requests).toHaveLength(0);
    const denials = await t.bot.runtime.db.models.AuditEvent.count({ where: { action: "run", outcome: "denied" } });
    expect(denials).toBe(2);
  });
});

describe("run without RUNNER_SIGNING_SECRET", () => {
  it("answers clearly and sends nothing", async () => {
    const printed: string[] = [];
    const messages: ChannelMessages = {
      async post(channel, doc) {
        printed.push(doc.text);
        return { channel, ts: "1" };
      },
      async update(_ref, doc) {
        printed.push(doc.text);
      },
    };
    const config = loadConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: "silent" });
    const runtime = await openRuntime(config, { messages, commands: COMMANDS });
    try {
      const operator = await findOperatorByEmail(runtime.db, O.admin.email);
      const reply = await runtime.dispatcher.handle("run int_nosecret", await operatorActor(runtime.db, operator!), { transport: "console" });
      expect(reply.doc.text).toContain("RUNNER_SIGNING_SECRET");
      expect(printed).toEqual([]);
      expect(await runtime.db.models.FlowRun.count({ where: { integrationId: "int_nosecret" } })).toBe(0);
      expect(engine.requests).toHaveLength(0);
    } finally {
      await runtime.close();
    }
  });
});
