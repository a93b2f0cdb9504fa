import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { recordRuns, RUN_INTERRUPTED_ERROR, type RunInput } from "../../src/data/flow-runs.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";

let testDb: TestDatabase;
let db: Database;
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 20, 8, minutes));
let counter = 0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

let id: string;
beforeEach(async () => {
  id = `int_${++counter}`;
  await addIntegrations(db, [{ id }]);
});

async function record(runs: Array<Omit<RunInput, "integrationId">>) {
  return db.sequelize.transaction((transaction) => recordRuns(db, runs.map((run) => ({ ...run, integrationId: id })), transaction, at(59)));
}

async function integration() {
  return (await db.models.Integration.findByPk(id))!;
}

describe("recordRuns", () => {
  it("keeps the latest run, the failures in a row and the last success on the integration", async () => {
    await record([
      { id: `${id}_1`, status: "success", startedAt: at(1), finishedAt: at(2) },
      { id: `${id}_2`, status: "error", startedAt: at(3), finishedAt: at(4), error: "timeout" },
      { id: `${id}_3`, status: "error", startedAt: at(5), finishedAt: at(6), error: "401 from HubSpot" },
    ]);
    const row = await integration();
    expect(row).toMatchObject({ latestRunId: `${id}_3`, latestRunStatus: "error", latestRunError: "401 from HubSpot", failuresInRow: 2 });
    expect(row.lastSuccessAt?.toISOString()).toBe(at(2).toISOString());
    expect(row.failingSince?.toISOString()).toBe(at(3).toISOString());
    expect(row.activityAt.toISOString()).toBe(at(5).toISOString());
  });

  it("counts a running run that ends in error once, and a success resets the streak", async () => {
    await record([{ id: `${id}_1`, status: "running", startedAt: at(1) }]);
    expect((await integration()).failuresInRow).toBe(0);
    await record([{ id: `${id}_1`, status: "error", startedAt: at(1), finishedAt: at(2), error: "boom" }]);
    await record([{ id: `${id}_1`, status: "error", startedAt: at(1), finishedAt: at(2), error: "boom" }]);
    expect((await integration()).failuresInRow).toBe(1);
    await record([{ id: `${id}_2`, status: "success", startedAt: at(3), finishedAt: at(4) }]);
    expect(await integration()).toMatchObject({ failuresInRow: 0, failingSince: null, latestRunStatus: "success" });
  });

  it("never lets a late running report replace a finished status", async () => {
    await record([{ id: `${id}_1`, status: "success", startedAt: at(1), finishedAt: at(3) }]);
    const result = await record([{ id: `${id}_1`, status: "running", startedAt: at(1) }]);
    expect(result.ignored).toBe(1);
    expect((await db.models.FlowRun.findByPk(`${id}_1`))!.status).toBe("success");
    expect((await integration()).latestRunStatus).toBe("success");
  });

  it("lets the engine's late report replace the bot's interrupted error, in its present wording and in the one runs kept before", async () => {
    for (const [n, error] of [[1, RUN_INTERRUPTED_ERROR], [2, "interrupted: the bot stopped while sending the request"]] as const) {
      await record([{ id: `${id}_${n}`, status: "error", startedAt: at(n), finishedAt: at(30), error }]);
      // The engine's report of the run's end comes later, stamped before the bot's guess.
      await record([{ id: `${id}_${n}`, status: "success", startedAt: at(n), finishedAt: at(n + 1) }]);
      expect((await db.models.FlowRun.findByPk(`${id}_${n}`))!.status).toBe("success");
    }
  });

  it("keeps the newest run as latest when an older one arrives later", async () => {
    await record([{ id: `${id}_new`, status: "success", startedAt: at(10), finishedAt: at(11) }]);
    await record([{ id: `${id}_old`, status: "error", startedAt: at(1), finishedAt: at(2), error: "old" }]);
    expect(await integration()).toMatchObject({ latestRunId: `${id}_new`, latestRunStatus: "success", failuresInRow: 0 });
    expect(await db.models.FlowRun.count({ where: { integrationId: id } })).toBe(2);
  });

  it("is idempotent: the same batch twice writes once", async () => {
    const batch = [{ id: `${id}_1`, status: "error" as const, startedAt: at(1), finishedAt: at(2), error: "x" }];
    expect((await record(batch)).written).toBe(1);
    expect((await record(batch)).written).toBe(0);
    expect((await integration()).failuresInRow).toBe(1);
  });
});
