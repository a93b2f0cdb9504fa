import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowEngine } from "../runner/flow-engine.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { batchIdOf, command, finalSummary } from "./support.ts";

const O = WORLD.operators;
const IDS = Array.from({ length: 60 }, (_, i) => `int_s${String(i + 1).padStart(2, "0")}`);

let testDb: TestDatabase;
let engine: FlowEngine;
let a: TestBot;
let b: TestBot;

beforeAll(async () => {
  testDb = await createTestDatabase();
  engine = await new FlowEngine().start();
  const db = await testDb.open();
  await loadWorld(db);
  await db.models.EmbedFlow.update({ triggerUrl: `${engine.url}/run` }, { where: {} });
  await addIntegrations(db, IDS.map((id, i) => ({ id, flowId: i < 40 ? "flow_1" : "flow_2" })));
  await db.close();
  const env = { RUNNER_SIGNING_SECRET: "replica-secret", BULK_CONCURRENCY: "3" };
  const timing = { batchTiming: { pollMs: 30, summaryIntervalMs: 100, leaseMs: 2_000 } };
  a = await startTestBot(testDb.url, env, timing);
  b = await startTestBot(testDb.url, env, timing);
  for (const bot of [a, b]) for (const who of Object.values(O)) bot.slack.emails.set(who.slack, who.email);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await engine?.stop();
  await testDb?.drop();
});

describe(`two replicas on one database (${TEST_DIALECT})`, () => {
  it("share batches through the lease: each member is acted on once, and a stopped replica's batch goes on in the other", async () => {
    engine.answer = () => ({ status: 200, body: { status: "success" }, delayMs: 15 });
    // Two batches confirmed in different replicas; both workers look for work all the time.
    const bigPreview = await command(a, "run flow:flow_1", O.admin.slack);
    const big = batchIdOf(bigPreview);
    const smallPreview = await command(b, "run flow:flow_2", O.admin.slack);
    const small = batchIdOf(smallPreview);
    await command(a, `confirm ${big} 40`, O.admin.slack);
    await command(b, `confirm ${small}`, O.admin.slack);

    // Replica a stops part-way (gracefully: its lease is released); whatever it held goes on in b.
    await eventually(() => (engine.requests.length >= 12 ? true : undefined), 15_000);
    await a.bot.stop();
    await eventually(async () => {
      const db = b.bot.runtime.db;
      const [rows] = await db.sequelize.query("SELECT COUNT(*) AS n FROM batches WHERE status = 'finished'");
      return Number((rows as Array<{ n: number | string }>)[0]!.n) === 2 ? true : undefined;
    }, 30_000);

    const perIntegration = new Map<string, number>();
    for (const request of engine.requests) perIntegration.set(String(request.body.integration_id), (perIntegration.get(String(request.body.integration_id)) ?? 0) + 1);
    expect([...perIntegration.keys()].sort()).toEqual(IDS);
    expect([...perIntegration.values()].filter((n) => n !== 1)).toEqual([]);
    expect(engine.maxInFlight).toBeLessThanOrEqual(6);
    const db = b.bot.runtime.db;
    const [members] = await db.sequelize.query("SELECT outcome, COUNT(*) AS n FROM batch_members WHERE batch_id IN (:ids) GROUP BY outcome", { replacements: { ids: [big, small] } });
    expect((members as Array<{ outcome: string; n: number | string }>).map((m) => [m.outcome, Number(m.n)])).toEqual([["succeeded", 60]]);
    // The message of a's batch is brought to its end by b.
    expect(String((await finalSummary(b, big)).body.text)).toContain("40 succeeded");
  }, 60_000);
});
