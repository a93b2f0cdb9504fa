import { QueryTypes } from "sequelize";
import type { Database } from "./database.ts";
import { toDate } from "./health.ts";
import { deleteRuns } from "./flow-runs.ts";
import type { RunStatus } from "./records.ts";

/** Flow runs deleted per statement: short statements keep locks short while the engine keeps reporting runs. */
export const RETENTION_BATCH = 5_000;

/**
 * The runs older than the cut-off that may go: never an integration's latest run (its row points at it and
 * `show` lists it), nor a manual run still being waited for. NOT IN over the integrations' ids is evaluated once
 * (hashed), not per run.
 */
const PURGEABLE = `FROM flow_runs r
  WHERE r.started_at < :cutoff
    AND r.id NOT IN (SELECT latest_run_id FROM integrations WHERE latest_run_id IS NOT NULL)
    AND r.id NOT IN (SELECT manual_run_id FROM integrations WHERE manual_run_id IS NOT NULL)`;

/** How many runs a purge at `cutoff` would delete. */
export async function countPurgeableRuns(db: Database, cutoff: Date): Promise<number> {
  const [row] = await db.sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n ${PURGEABLE}`, { replacements: { cutoff }, type: QueryTypes.SELECT });
  return Number(row?.n ?? 0);
}

type Row = Record<string, unknown>;

/**
 * Deletes one batch of purgeable runs and takes them out of the per-day roll-up, in one transaction; returns
 * how many went. On PostgreSQL the runs' integrations are locked first (in id order, as recordRuns locks them),
 * so a report of one of these runs waits, and after the purge finds the run gone and counts it as new.
 */
export async function purgeRunBatch(db: Database, cutoff: Date, batch = RETENTION_BATCH): Promise<number> {
  return db.sequelize.transaction(async (transaction) => {
    const picked = await db.sequelize.query<Row>(`SELECT r.id, r.integration_id ${PURGEABLE} LIMIT :batch`, { replacements: { cutoff, batch }, type: QueryTypes.SELECT, transaction });
    if (picked.length === 0) return 0;
    if (db.dialect === "postgres") {
      const integrationIds = [...new Set(picked.map((row) => String(row.integration_id)))].sort();
      await db.sequelize.query("SELECT id FROM integrations WHERE id IN (:integrationIds) ORDER BY id FOR UPDATE", { replacements: { integrationIds }, type: QueryTypes.SELECT, transaction });
    }
    // Read again under the locks: a run may have changed, or stopped being purgeable, meanwhile.
    const runs = await db.sequelize.query<Row>(`SELECT r.id, r.integration_id, r.started_at, r.status ${PURGEABLE} AND r.id IN (:ids)`, {
      replacements: { cutoff, ids: picked.map((row) => String(row.id)) },
      type: QueryTypes.SELECT,
      transaction,
    });
    if (runs.length === 0) return 0;
    await deleteRuns(
      db,
      runs.map((row) => ({ id: String(row.id), integrationId: String(row.integration_id), startedAt: toDate(row.started_at)!, status: row.status as RunStatus })),
      transaction,
    );
    return runs.length;
  });
}
