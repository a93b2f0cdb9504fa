import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/data/database.ts";
import { keptThresholds } from "../../src/data/health.ts";
import { migrate } from "../../src/data/migrate.ts";
import * as healthMigration from "../../src/data/migrations/2026120201-health-verdict.ts";
import { DEFAULT_THRESHOLDS } from "../../src/domain/health.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { loadWorld } from "../support/fixtures.ts";

let testDb: TestDatabase | undefined;
let db: Database | undefined;

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

const HOUR = 3_600_000;

describe("the health verdict migration", () => {
  it("fills every integration's verdict, reason and due time from its existing runs", async () => {
    testDb = await createTestDatabase();
    db = openDatabase(testDb.url);
    await migrate(db);
    // Back to the schema before it, with the data the migration finds there (laid out around the real clock it uses).
    const context = db.sequelize.getQueryInterface();
    await healthMigration.down({ context });
    await loadWorld(db);
    const now = Date.now();
    const at = (ms: number) => db!.sequelize.escape(new Date(ms) as unknown as string);
    type Run = { status: "success" | "error"; at: number };
    const histories: Record<string, Run[]> = {
      m_fail: [{ status: "success", at: now - 9 * HOUR }, ...[3, 2, 1].map((h) => ({ status: "error" as const, at: now - h * HOUR }))],
      m_rate: [...Array.from({ length: 19 }, (_, i) => ({ status: "error" as const, at: now - (40 - i) * HOUR })), { status: "success", at: now - 2 * HOUR }],
      m_stale: [{ status: "success", at: now - 40 * 24 * HOUR }],
      m_overdue: Array.from({ length: 6 }, (_, i) => ({ status: "success" as const, at: now - (10 - i) * HOUR })),
      m_ok: Array.from({ length: 6 }, (_, i) => ({ status: "success" as const, at: now - (5 - i) * HOUR - HOUR / 2 })),
      m_never: [],
    };
    const rows: string[] = [];
    const runs: string[] = [];
    const integration = (id: string, history: Run[], created: number) => {
      const latest = history[history.length - 1];
      const lastSuccess = [...history].reverse().find((run) => run.status === "success");
      const streak = history.filter((run) => run.status === "error" && run.at > (lastSuccess?.at ?? -Infinity));
      return `('${id}', 'Copy ${id}', 'flow_1', 'cfg_1', 'g1', 'user', 'k_${id}', 'u_${id}', 'acc_${id}', 'enabled', ${latest ? `'${latest.status}'` : "NULL"},
        ${latest ? at(latest.at) : "NULL"}, ${streak.length}, ${streak.length ? at(streak[0]!.at) : "NULL"}, ${at(latest?.at ?? created)}, ${at(created)}, ${at(created)})`;
    };
    for (const [id, history] of Object.entries(histories)) {
      rows.push(integration(id, history, now - 60 * 24 * HOUR));
      history.forEach((run, i) => runs.push(`('${id}_${i}', '${id}', '${run.status}', 'scheduler', ${at(run.at)}, ${at(run.at)}, ${run.status === "error" ? "'503'" : "NULL"}, ${at(run.at)}, ${at(run.at)})`));
    }
    // More than one batch of the migration's fill: activated two days ago, never ran.
    for (let n = 0; n < 1_205; n++) rows.push(integration(`m_bulk_${String(n).padStart(5, "0")}`, [], now - 2 * 24 * HOUR));
    await db.sequelize.query(
      `INSERT INTO integrations (id, name, flow_id, configuration_id, group_id, sharing_level, activation_key, embed_user_id, embed_account_id, status,
         latest_run_status, latest_run_at, failures_in_row, failing_since, activity_at, created_at, updated_at) VALUES ${rows.join(", ")}`,
    );
    await db.sequelize.query(`INSERT INTO flow_runs (id, integration_id, status, "trigger", started_at, finished_at, error, created_at, updated_at) VALUES ${runs.join(", ")}`);

    await healthMigration.up({ context });
    const kept: Record<string, Record<string, unknown>> = Object.fromEntries(
      ((await db.sequelize.query("SELECT id, health, health_reason, health_due_at, gap_runs FROM integrations", { type: "SELECT" })) as Array<Record<string, unknown>>).map((row) => [row.id, row]),
    );
    expect(kept.m_fail).toMatchObject({ health: "failing", health_reason: "last 3 runs failed" });
    expect(kept.m_rate).toMatchObject({ health: "failing", health_reason: "95 % of 20 runs in 7 days failed" });
    expect(kept.m_stale).toMatchObject({ health: "stale", health_reason: "no run for 40 days" });
    expect(kept.m_overdue).toMatchObject({ health: "overdue", health_reason: "no run for 5 hours, usually every 1 h" });
    expect(kept.m_ok).toMatchObject({ health: "healthy", health_reason: null });
    expect(kept.m_never).toMatchObject({ health: "stale", health_reason: "never ran; activated 60 days ago", gap_runs: 0 });
    expect(Object.values(kept).filter((row) => String(row.id).startsWith("m_bulk_") && row.health === "never_ran" && row.health_due_at !== null)).toHaveLength(1_205);
    // The healthy one is due when it would become overdue; the failing streak never by time alone.
    expect(kept.m_ok!.health_due_at).not.toBeNull();
    expect(kept.m_fail!.health_due_at).toBeNull();
    expect(await keptThresholds(db)).toEqual(DEFAULT_THRESHOLDS);
  });
});
