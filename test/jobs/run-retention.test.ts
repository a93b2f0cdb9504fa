import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRetention } from "../../jobs/run-retention.ts";
import { purgeRunBatch } from "../../src/data/run-retention.ts";
import { runJob } from "../../jobs/runner.ts";
import type { Database } from "../../src/data/database.ts";
import type { Runtime } from "../../src/runtime.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld } from "../support/fixtures.ts";
import { daysAgo, NOW, recordingMessages, runSeries, testRuntime } from "./support.ts";

const S = "success" as const;
const E = "error" as const;

let testDb: TestDatabase;
let db: Database;
let runtime: Runtime;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [
    { id: "rt_old_only", createdAt: daysAgo(200) },
    { id: "rt_mixed", createdAt: daysAgo(200) },
    { id: "rt_recent", createdAt: daysAgo(200) },
  ]);
  await addRuns(db, [
    // Every run is older than 90 days: all but the latest go.
    ...runSeries("rt_old_only", [S, E, S, E], daysAgo(120)),
    // Old runs and a recent latest one.
    ...runSeries("rt_mixed", [S, S, S], daysAgo(100)),
    ...runSeries("rt_mixed", [E], daysAgo(1)).map((run) => ({ ...run, id: "rt_mixed_latest" })),
    // Exactly at the cut-off, and one day inside it: kept.
    ...runSeries("rt_recent", [S], daysAgo(90)),
    ...runSeries("rt_recent", [S], daysAgo(89)).map((run) => ({ ...run, id: "rt_recent_latest" })),
  ], NOW);
  ({ runtime } = await testRuntime(db, testDb.url));
});

afterAll(async () => {
  await runtime?.close();
  await db?.close();
  await testDb?.drop();
});

async function runIds(): Promise<string[]> {
  return (await db.models.FlowRun.findAll({ attributes: ["id"], order: [["id", "ASC"]] })).map((run) => run.id);
}

describe("run retention", () => {
  it("counts in a dry run and deletes nothing", async () => {
    const result = await runJob(runtime, runRetention, { messages: recordingMessages(), firedAt: NOW, trigger: "manual", dryRun: true });
    expect(result.summary?.counts).toMatchObject({ deleted: 0, wouldDelete: 6 });
    expect((await runIds()).length).toBe(10);
  });

  it("deletes in bounded batches", async () => {
    const cutoff = daysAgo(90);
    expect(await purgeRunBatch(db, cutoff, 2)).toBe(2);
    expect((await runIds()).length).toBe(8);
  });

  it("deletes runs older than RUN_RETENTION_DAYS and keeps every integration's latest run", async () => {
    const result = await runJob(runtime, runRetention, { messages: recordingMessages(), firedAt: NOW, trigger: "manual" });
    expect(result.outcome).toBe("ok");
    expect(result.summary?.counts?.deleted).toBe(4);
    expect(await runIds()).toEqual(["rt_mixed_latest", "rt_old_only_r3", "rt_recent_latest", "rt_recent_r0"]);
    const integrations = await db.models.Integration.findAll();
    for (const integration of integrations) expect(await db.models.FlowRun.findByPk(integration.latestRunId!)).not.toBeNull();
    // Nothing more to do.
    const again = await runJob(runtime, runRetention, { messages: recordingMessages(), firedAt: NOW, trigger: "manual" });
    expect(again.summary?.counts?.deleted).toBe(0);
  });
});
