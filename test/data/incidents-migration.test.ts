import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/data/database.ts";
import { migrate } from "../../src/data/migrate.ts";
import * as incidentsMigration from "../../src/data/migrations/2026120104-incidents.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { loadWorld } from "../support/fixtures.ts";

let testDb: TestDatabase | undefined;
let db: Database | undefined;

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe("the incidents migration", () => {
  it("fills latest_error_signature from the latest run of existing integrations, null where it did not fail", async () => {
    testDb = await createTestDatabase();
    db = openDatabase(testDb.url);
    await migrate(db);
    // Back to the schema before it, with the data the migration finds there.
    const context = db.sequelize.getQueryInterface();
    await incidentsMigration.down({ context });
    await loadWorld(db);
    const at = "2026-11-20 10:00:00.000 +00:00";
    const row = (id: string, status: string | null, error: string | null) =>
      `('${id}', 'Copy ${id}', 'flow_1', 'cfg_1', 'g1', 'user', 'k_${id}', 'u_${id}', 'acc_${id}', 'enabled', ${status ? `'${status}'` : "NULL"}, ${error === null ? "NULL" : db!.sequelize.escape(error)}, 0, '${at}', '${at}', '${at}')`;
    const rows = [
      row("i_err", "error", "401 from HubSpot for jane@example.com"),
      row("i_silent", "error", null),
      row("i_ok", "success", null),
      row("i_never", null, null),
      // More than one batch of the migration's fill.
      ...Array.from({ length: 1_205 }, (_, n) => row(`i_bulk_${String(n).padStart(5, "0")}`, "error", `Timeout after ${n} ms`)),
    ];
    await db.sequelize.query(
      `INSERT INTO integrations (id, name, flow_id, configuration_id, group_id, sharing_level, activation_key, embed_user_id, embed_account_id, status,
         latest_run_status, latest_run_error, failures_in_row, activity_at, created_at, updated_at) VALUES ${rows.join(", ")}`,
    );
    await incidentsMigration.up({ context });
    const signatures = Object.fromEntries(
      ((await db.sequelize.query("SELECT id, latest_error_signature FROM integrations", { type: "SELECT" })) as Array<{ id: string; latest_error_signature: string | null }>).map((r) => [r.id, r.latest_error_signature]),
    );
    expect(signatures.i_err).toBe("<n> from HubSpot for <email>");
    expect(signatures.i_silent).toBe("(no error text)");
    expect(signatures.i_ok).toBeNull();
    expect(signatures.i_never).toBeNull();
    expect(signatures.i_bulk_01204).toBe("Timeout after <n> ms");
    expect(Object.entries(signatures).filter(([id, signature]) => id.startsWith("i_bulk_") && signature === "Timeout after <n> ms")).toHaveLength(1_205);
    // The tables are there: an incident can be written.
    await db.sequelize.query("INSERT INTO incidents (id, flow_id, signature, state, since, opened_at, created_at, updated_at) VALUES ('inc_0000000001', 'flow_1', 's', 'open', :at, :at, :at, :at)", { replacements: { at: new Date() } });
    await expect(db.sequelize.query("INSERT INTO incidents (id, flow_id, signature, state, since, opened_at, created_at, updated_at) VALUES ('inc_0000000002', 'flow_1', 's', 'open', :at, :at, :at, :at)", { replacements: { at: new Date() } })).rejects.toThrow();
  });
});
