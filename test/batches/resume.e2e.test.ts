import { Op, QueryTypes } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { RUN_INTERRUPTED_ERROR } from "../../src/data/flow-runs.ts";
import { postJson, testToken } from "../api/tokens.ts";
import { spawnBot, type BotProcess } from "../production/support.ts";
import { FlowEngine } from "../runner/flow-engine.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { groupedRuns, rolledUp } from "../support/run-checks.ts";
import { batchIdOf, blocksOf, click, command, finalSummary, latestSummary } from "./support.ts";

const O = WORLD.operators;
const IDS = Array.from({ length: 20 }, (_, i) => `int_r${String(i + 1).padStart(2, "0")}`);
/** The integrations of the graceful stop: a flow of their own. */
const QUIT = Array.from({ length: 12 }, (_, i) => `int_q${String(i + 1).padStart(2, "0")}`);
const RUNS_SECRET = "resume-runs-secret";

let testDb: TestDatabase;
let engine: FlowEngine;
let first: BotProcess | undefined;
let firstSlack: FakeSlackApi;
let second: TestBot | undefined;
let third: TestBot | undefined;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  engine = await new FlowEngine().start();
  firstSlack = await new FakeSlackApi().start();
  for (const who of Object.values(O)) firstSlack.emails.set(who.slack, who.email);
  db = await testDb.open();
  await loadWorld(db);
  await db.models.EmbedFlow.update({ triggerUrl: `${engine.url}/run` }, { where: {} });
  await addIntegrations(db, [...IDS.map((id) => ({ id })), ...QUIT.map((id) => ({ id, flowId: "flow_2" }))]);
});

afterAll(async () => {
  first?.child.kill("SIGKILL");
  await second?.stop();
  await third?.stop();
  await db?.close();
  await firstSlack?.stop();
  await engine?.stop();
  await testDb?.drop();
});

describe("a bot killed in the middle of a batch", () => {
  it("goes on after the restart, and no integration is run twice", async () => {
    const env = {
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: firstSlack.url,
      DATABASE_URL: testDb.url,
      RUNNER_SIGNING_SECRET: "resume-secret",
      RUNS_API_SECRET: RUNS_SECRET,
      LOG_LEVEL: "warn",
      PORT: "0",
    };
    first = await spawnBot({ ...env, LOG_LEVEL: "info" });
    const one = { baseUrl: first.baseUrl, slack: firstSlack } as unknown as TestBot;
    engine.answer = () => ({ status: 202, hold: true });
    const preview = await command(one, "run flow:flow_1", O.admin.slack);
    const batchId = batchIdOf(preview);
    expect(blocksOf((await click(one, `confirm ${batchId}`, O.admin.slack)).answer)).toContain("started");
    await eventually(() => (engine.requests.length === 4 ? true : undefined), 15_000);
    // Meanwhile the next members' runs are claimed ahead of the lanes: recorded running, not sent.
    const manualRuns = () => db.models.FlowRun.findAll({ where: { integrationId: IDS, trigger: "manual" }, attributes: ["id", "integrationId"], raw: true });
    await eventually(async () => ((await manualRuns()).length > 4 ? true : undefined), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.requests).toHaveLength(4);

    // Killed with four run requests out and unanswered: no graceful stop, its lease is left to expire.
    first.child.kill("SIGKILL");
    await first.exited;
    engine.release();
    const inFlight = engine.requests.map((request) => String(request.body.integration_id));
    // The runs claimed ahead and never sent: at most one per lane.
    const ahead = (await manualRuns()).filter((run) => !inFlight.includes(run.integrationId));
    expect(ahead.length).toBeGreaterThan(0);
    expect(ahead.length).toBeLessThanOrEqual(4);
    const k = ahead.length;

    engine.answer = () => ({ status: 200, body: { status: "success" } });
    // The restarted bot looks a minute later: the dead process's 30-second lease has expired.
    second = await startTestBot(testDb.url, { RUNNER_SIGNING_SECRET: "resume-secret", RUNS_API_SECRET: RUNS_SECRET }, { clock: { now: () => new Date(Date.now() + 60_000) }, batchTiming: { pollMs: 50, summaryIntervalMs: 100 } });
    for (const who of Object.values(O)) second.slack.emails.set(who.slack, who.email);
    // The members whose runs were recorded before the kill are never sent (again): the four that went out, and
    // the ones claimed ahead.
    await eventually(() => (engine.requests.length === 20 - k ? true : undefined), 15_000);
    const waiting = await eventually(() => {
      const last = latestSummary(second!, batchId);
      return last && String(last.body.text).includes(`${16 - k} succeeded, 0 failed, ${4 + k} running`) ? last : undefined;
    }, 15_000);
    expect(waiting.method).toBe("chat.update");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const perIntegration = new Map<string, number>();
    for (const request of engine.requests) perIntegration.set(String(request.body.integration_id), (perIntegration.get(String(request.body.integration_id)) ?? 0) + 1);
    expect([...perIntegration.keys()].sort()).toEqual(IDS.filter((id) => !ahead.some((run) => run.integrationId === id)));
    expect([...perIntegration.values()].every((n) => n === 1)).toBe(true);

    // The four whose requests went out before the kill are counted from the engine's reports, not sent again.
    const now = Math.floor(Date.now() / 1000);
    const events = engine.requests
      .filter((request) => inFlight.includes(String(request.body.integration_id)))
      .map((request) => ({ run_id: request.body.run_id, integration_id: request.body.integration_id, status: "success", started_at: new Date().toISOString(), finished_at: new Date().toISOString() }));
    expect((await postJson(`${second.baseUrl}/api/runs`, events, await testToken({ secret: RUNS_SECRET, now }))).status).toBe(202);
    await eventually(() => {
      const last = latestSummary(second!, batchId);
      return last && String(last.body.text).includes(`${20 - k} succeeded, 0 failed, ${k} running`) ? last : undefined;
    }, 15_000);

    // The runs claimed ahead are resolved by the interrupted-run recovery of a later start (past RUNNER_TIMEOUT_MS
    // plus the grace): failed, saying the request may not have gone out, and still never sent.
    await second.stop();
    second = undefined;
    third = await startTestBot(testDb.url, { RUNNER_SIGNING_SECRET: "resume-secret", RUNS_API_SECRET: RUNS_SECRET }, { clock: { now: () => new Date(Date.now() + 10 * 60_000) }, batchTiming: { pollMs: 50, summaryIntervalMs: 100 } });
    const final = await finalSummary(third, batchId);
    expect(String(final.body.text)).toContain(`${20 - k} succeeded, ${k} failed, 0 running, 0 skipped`);
    expect(blocksOf(final)).toContain(RUN_INTERRUPTED_ERROR);
    expect(engine.requests).toHaveLength(20 - k);
    await third.stop();
    third = undefined;
  }, 60_000);
});

describe("a bot stopped gracefully in the middle of a batch", () => {
  it("withdraws the runs claimed ahead, puts their members back to pending, and the next start runs each once", async () => {
    engine.reset();
    engine.answer = () => ({ status: 200, body: { status: "success" }, hold: true });
    const env = { RUNNER_SIGNING_SECRET: "resume-secret", RUNS_API_SECRET: RUNS_SECRET, };
    const timing = { batchTiming: { pollMs: 50, summaryIntervalMs: 100 } };
    let bot = await startTestBot(testDb.url, env, timing);
    for (const who of Object.values(O)) bot.slack.emails.set(who.slack, who.email);
    const preview = await command(bot, "run flow:flow_2", O.admin.slack);
    const batchId = batchIdOf(preview);
    expect(blocksOf((await click(bot, `confirm ${batchId}`, O.admin.slack)).answer)).toContain("started");
    await eventually(() => (engine.requests.length === 4 ? true : undefined), 15_000);
    const manualRuns = () => db.models.FlowRun.findAll({ where: { integrationId: QUIT, trigger: "manual" }, attributes: ["id", "integrationId"], raw: true });
    await eventually(async () => ((await manualRuns()).length > 4 ? true : undefined), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = engine.requests.map((request) => String(request.body.integration_id));
    const ahead = (await manualRuns()).filter((run) => !sent.includes(run.integrationId));
    expect(ahead.length).toBeGreaterThan(0);

    // The stop lets the four requests in hand finish, sends nothing more, and takes back the runs claimed ahead.
    const stopping = bot.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    engine.release();
    await stopping;
    expect(engine.requests).toHaveLength(4);
    expect(await db.models.FlowRun.count({ where: { id: ahead.map((run) => run.id) } })).toBe(0);
    const members = await db.sequelize.query<Record<string, unknown>>("SELECT integration_id, state, run_id FROM batch_members WHERE batch_id = :batchId AND integration_id IN (:ids) ORDER BY integration_id", {
      replacements: { batchId, ids: ahead.map((run) => run.integrationId) },
      type: QueryTypes.SELECT,
    });
    expect(members.map((m) => [m.state, m.run_id ?? null])).toEqual(ahead.map(() => ["pending", null]));
    const held = await db.models.Integration.count({ where: { id: QUIT, manualRunId: { [Op.ne]: null } } });
    expect(held).toBe(0);
    expect(await rolledUp(db, QUIT)).toEqual(await groupedRuns(db, QUIT));
    expect(await db.models.AuditEvent.count({ where: { action: "run", detail: ahead.map((run) => `${run.id}: withdrawn before its request was sent (the bot stopped)`) } })).toBe(ahead.length);

    // The next start acts on every member not done yet, each once; no integration gets two requests.
    engine.answer = () => ({ status: 200, body: { status: "success" } });
    bot = await startTestBot(testDb.url, env, timing);
    try {
      const final = await finalSummary(bot, batchId);
      expect(String(final.body.text)).toContain("12 succeeded, 0 failed, 0 running, 0 skipped");
      const perIntegration = new Map<string, number>();
      for (const request of engine.requests) perIntegration.set(String(request.body.integration_id), (perIntegration.get(String(request.body.integration_id)) ?? 0) + 1);
      expect([...perIntegration.keys()].sort()).toEqual(QUIT);
      expect([...perIntegration.values()].every((n) => n === 1)).toBe(true);
      expect(engine.maxInFlight).toBeLessThanOrEqual(4);
    } finally {
      await bot.stop();
    }
  }, 60_000);
});
