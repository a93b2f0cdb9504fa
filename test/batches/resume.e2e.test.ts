import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, testToken } from "../api/tokens.ts";
import { spawnBot, type BotProcess } from "../production/support.ts";
import { FlowEngine } from "../runner/flow-engine.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { batchIdOf, blocksOf, click, command, finalSummary, latestSummary } from "./support.ts";

const O = WORLD.operators;
const IDS = Array.from({ length: 20 }, (_, i) => `int_r${String(i + 1).padStart(2, "0")}`);
const RUNS_SECRET = "resume-runs-secret";

let testDb: TestDatabase;
let engine: FlowEngine;
let first: BotProcess | undefined;
let firstSlack: FakeSlackApi;
let second: TestBot | undefined;

beforeAll(async () => {
  testDb = await createTestDatabase();
  engine = await new FlowEngine().start();
  firstSlack = await new FakeSlackApi().start();
  for (const who of Object.values(O)) firstSlack.emails.set(who.slack, who.email);
  const db = await testDb.open();
  await loadWorld(db);
  await db.models.EmbedFlow.update({ triggerUrl: `${engine.url}/run` }, { where: {} });
  await addIntegrations(db, IDS.map((id) => ({ id })));
  await db.close();
});

afterAll(async () => {
  first?.child.kill("SIGKILL");
  await second?.stop();
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
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.requests).toHaveLength(4);

    // Killed with four run requests out and unanswered: no graceful stop, its lease is left to expire.
    first.child.kill("SIGKILL");
    await first.exited;
    engine.release();
    const inFlight = engine.requests.map((request) => String(request.body.integration_id));

    engine.answer = () => ({ status: 200, body: { status: "success" } });
    // The restarted bot looks a minute later: the dead process's 30-second lease has expired.
    second = await startTestBot(testDb.url, { RUNNER_SIGNING_SECRET: "resume-secret", RUNS_API_SECRET: RUNS_SECRET }, { clock: { now: () => new Date(Date.now() + 60_000) }, batchTiming: { pollMs: 50, summaryIntervalMs: 100 } });
    for (const who of Object.values(O)) second.slack.emails.set(who.slack, who.email);
    await eventually(() => (engine.requests.length === 20 ? true : undefined), 15_000);
    const waiting = await eventually(() => {
      const last = latestSummary(second!, batchId);
      return last && String(last.body.text).includes("16 succeeded, 0 failed, 4 running") ? last : undefined;
    }, 15_000);
    expect(waiting.method).toBe("chat.update");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const perIntegration = new Map<string, number>();
    for (const request of engine.requests) perIntegration.set(String(request.body.integration_id), (perIntegration.get(String(request.body.integration_id)) ?? 0) + 1);
    expect([...perIntegration.keys()].sort()).toEqual(IDS);
    expect([...perIntegration.values()].every((n) => n === 1)).toBe(true);

    // The four whose requests went out before the kill are counted from the engine's reports, not sent again.
    const now = Math.floor(Date.now() / 1000);
    const events = engine.requests
      .filter((request) => inFlight.includes(String(request.body.integration_id)))
      .map((request) => ({ run_id: request.body.run_id, integration_id: request.body.integration_id, status: "success", started_at: new Date().toISOString(), finished_at: new Date().toISOString() }));
    expect((await postJson(`${second.baseUrl}/api/runs`, events, await testToken({ secret: RUNS_SECRET, now }))).status).toBe(202);
    const final = await finalSummary(second, batchId);
    expect(String(final.body.text)).toContain("20 succeeded, 0 failed, 0 running, 0 skipped");
    expect(engine.requests).toHaveLength(20);
  }, 60_000);
});
