import { QueryTypes } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimMemberRuns, createBatch } from "../../src/data/batches.ts";
import type { Database } from "../../src/data/database.ts";
import { recordRuns } from "../../src/data/flow-runs.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import { manualRunId } from "../../src/runner/runner.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";

// Two replicas derive the same run id for a member. One that lost its lease may still claim a round while the
// new owner claims the same members: only one of them may send. On SQLite the one writer rules the race out.

const NOW = new Date("2026-11-20T12:00:00Z");
const IDS = ["cr_1", "cr_2", "cr_3"];
const actor = { kind: "system", name: "test" } as unknown as Actor;

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, IDS.map((id) => ({ id })));
  await runningBatch("b_claimrace01", IDS);
});

/** A running bulk run over `ids`, every member taken (in flight), as the lanes claim them. */
async function runningBatch(id: string, ids: readonly string[]): Promise<void> {
  await createBatch(db, {
    id,
    action: "run",
    status: "running",
    requestedBy: "admin@example.com",
    requesterSlackUserId: null,
    filterText: "run",
    reason: null,
    apart: 0,
    expiresAt: null,
    members: ids.map((integrationId) => ({ integrationId, groupId: "g1", name: integrationId })),
    at: NOW,
  });
  await db.sequelize.query("UPDATE batch_members SET state = 'in_flight' WHERE batch_id = $1", { bind: [id] });
}

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe.skipIf(TEST_DIALECT !== "postgres")("claiming a bulk run's members on PostgreSQL", () => {
  it("gives a claim that waited on another replica's claim of the same runs nothing to send", async () => {
    const members = IDS.map((id) => ({ integrationId: id, runId: manualRunId(id, "b_claimrace01") }));
    // The other replica's claim, holding its rows until it commits.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    const other = db.sequelize.transaction(async (transaction) => {
      for (const m of members) {
        await db.sequelize.query("UPDATE integrations SET manual_run_id = :runId WHERE id = :id", { replacements: { runId: m.runId, id: m.integrationId }, transaction });
      }
      await recordRuns(db, members.map((m) => ({ id: m.runId, integrationId: m.integrationId, status: "running" as const, trigger: "manual" as const, startedAt: NOW, requestedBy: "other" })), transaction, NOW);
      await committed;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const mine = claimMemberRuns(db, { batchId: "b_claimrace01", members, actor, auditDetail: (runId) => runId, now: NOW, flowUrls: new Map() });
    await new Promise((resolve) => setTimeout(resolve, 300));
    commit();
    await other;
    const result = await mine;
    expect(result.claimed).toEqual([]);
    expect(result.contended.sort()).toEqual(IDS);
  });
});

describe("claiming a bulk run's members whose ids hold what looks like a placeholder", () => {
  it("claims them, each integration and member given its own run id (`$` in an id is data, not a parameter)", async () => {
    const ids = ["acme-$1", "acme-$x", "$$plain"];
    await addIntegrations(db, ids.map((id) => ({ id })));
    await runningBatch("b_dollarids01", ids);
    const members = ids.map((id) => ({ integrationId: id, runId: manualRunId(id, "b_dollarids01") }));
    const admin: Actor = { kind: "operator", operatorId: 1, email: "admin@example.com", name: "Ada", role: "admin", grants: [] };
    const result = await claimMemberRuns(db, { batchId: "b_dollarids01", members, actor: admin, auditDetail: (runId) => runId, now: NOW, flowUrls: new Map() });
    expect(result.claimed.map((run) => run.integrationId).sort()).toEqual([...ids].sort());
    const byId = new Map(members.map((m) => [m.integrationId, m.runId]));
    for (const row of await db.models.Integration.findAll({ where: { id: ids }, raw: true })) expect(row.manualRunId).toBe(byId.get(row.id));
    const memberRows = await db.sequelize.query<{ integration_id: string; run_id: string }>("SELECT integration_id, run_id FROM batch_members WHERE batch_id = 'b_dollarids01'", { type: QueryTypes.SELECT });
    for (const row of memberRows) expect(row.run_id).toBe(byId.get(row.integration_id));
  });
});
