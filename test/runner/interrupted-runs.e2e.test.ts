import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { postJson, testToken } from "../api/tokens.ts";
import { spawnBot } from "../production/support.ts";
import { eventually } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { postSigned, slashCommandForm, TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { FlowEngine } from "./flow-engine.ts";

const O = WORLD.operators;
const RUNS_SECRET = "runs-api-secret-interrupted";

let testDb: TestDatabase;
let db: Database;
let engine: FlowEngine;
let slack: FakeSlackApi;
const children: Array<{ kill(signal: NodeJS.Signals): boolean }> = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  engine = await new FlowEngine().start();
  slack = await new FakeSlackApi().start();
  for (const who of Object.values(O)) slack.emails.set(who.slack, who.email);
  db = await testDb.open();
  await loadWorld(db);
  await db.models.EmbedFlow.update({ triggerUrl: `${engine.url}/run` }, { where: {} });
  await addIntegrations(db, [{ id: "int_cut" }, { id: "int_late" }]);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await db?.close();
  await engine?.stop();
  await slack?.stop();
  await testDb?.drop();
});

const env = () => ({
  SLACK_BOT_TOKEN: "xoxb-test-token",
  SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
  SLACK_API_URL: slack.url,
  DATABASE_URL: testDb.url,
  RUNNER_SIGNING_SECRET: "runner-secret-interrupted",
  RUNS_API_SECRET: RUNS_SECRET,
  RUNNER_TIMEOUT_MS: "1500",
  RUN_INTERRUPTED_GRACE_MS: "500",
});

/** Starts the bot as a child process, asks it to run `integrationId`, and kill -9s it while the engine holds the request. */
async function runAndKill(integrationId: string, responseId: string): Promise<string> {
  engine.answer = () => ({ hold: true });
  const bot = await spawnBot(env());
  children.push(bot.child);
  const before = engine.requests.length;
  const answer = await postSigned(bot.baseUrl, slashCommandForm(`run ${integrationId}`, O.runner.slack, slack.responseUrl(responseId)));
  expect(answer.status).toBe(200);
  await eventually(() => (engine.requests.length > before && engine.pending > 0 ? true : undefined), 10_000);
  bot.child.kill("SIGKILL");
  await bot.exited;
  const run = await db.models.FlowRun.findOne({ where: { integrationId, trigger: "manual" }, order: [["startedAt", "DESC"]] });
  expect(run!.status).toBe("running");
  expect((await db.models.Integration.findByPk(integrationId))!.manualRunId).toBe(run!.id);
  engine.release();
  return run!.id;
}

describe("a manual run cut off by kill -9 of the bot", () => {
  it("reads error (interrupted) after a restart, its message says so, and the integration can be run again", async () => {
    const runId = await runAndKill("int_cut", "cut-1");
    engine.answer = () => ({ status: 202 });
    const bot = await spawnBot(env());
    children.push(bot.child);
    const run = await eventually(async () => {
      const stored = await db.models.FlowRun.findByPk(runId);
      return stored?.status === "error" ? stored : undefined;
    }, 10_000);
    expect(run.error).toBe("interrupted: the bot stopped before the flow engine answered (the request may not have gone out)");
    expect((await db.models.Integration.findByPk("int_cut"))!.manualRunId).toBeNull();
    // The message that announced the run (posted by the first process) now says how it ended.
    const posted = slack.callsTo("chat.postMessage").find((call) => JSON.stringify(call.body.blocks).includes("`int_cut`"));
    const updated = await eventually(() => slack.callsTo("chat.update").find((call) => JSON.stringify(call.body.blocks).includes("interrupted")), 10_000);
    if (posted) expect(updated.body.channel).toBe(posted.body.channel);

    // Past the double-click window of the first request (the same person asking again at once is one click).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, run.startedAt.getTime() + 5_500 - Date.now())));
    const before = engine.requests.length;
    const again = await postSigned(bot.baseUrl, slashCommandForm("run int_cut", O.runner.slack, slack.responseUrl("cut-2")));
    expect(again.status).toBe(200);
    await eventually(() => (engine.requests.length > before ? true : undefined), 10_000);
    expect(engine.requests.at(-1)!.body.integration_id).toBe("int_cut");
    const answer = await eventually(() => slack.responses.find((r) => r.method === "/response/cut-2"));
    expect(JSON.stringify(answer.body)).not.toContain("already running");
    bot.child.kill("SIGTERM");
    await bot.exited;
  }, 60_000);

  it("gives way to the engine's late report of the same run", async () => {
    const runId = await runAndKill("int_late", "late-1");
    const bot = await spawnBot(env());
    children.push(bot.child);
    await eventually(async () => ((await db.models.FlowRun.findByPk(runId))?.status === "error" ? true : undefined), 10_000);
    const startedAt = (await db.models.FlowRun.findByPk(runId))!.startedAt;
    const token = await testToken({ secret: RUNS_SECRET, now: Math.floor(Date.now() / 1000) });
    // The engine finished the run a moment after it started, before the bot gave it up: its report still wins.
    const finishedAt = new Date(startedAt.getTime() + 100).toISOString();
    const reported = await postJson(`${bot.baseUrl}/api/runs`, { run_id: runId, integration_id: "int_late", status: "success", started_at: startedAt.toISOString(), finished_at: finishedAt }, token);
    expect(reported.status).toBe(202);
    const run = (await db.models.FlowRun.findByPk(runId))!;
    expect(run.status).toBe("success");
    expect(run.error).toBeNull();
    const integration = (await db.models.Integration.findByPk("int_late"))!;
    expect(integration.latestRunStatus).toBe("success");
    expect(integration.failuresInRow).toBe(0);
    expect(integration.manualRunId).toBeNull();
    bot.child.kill("SIGTERM");
    await bot.exited;
  }, 60_000);
});
