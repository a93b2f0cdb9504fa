import { QueryTypes } from "sequelize";
import type { Database } from "./database.ts";

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

/** Deletes one batch of purgeable runs; returns how many went. */
export async function purgeRunBatch(db: Database, cutoff: Date, batch = RETENTION_BATCH): Promise<number> {
  // BULKDELETE answers the number of rows deleted, on SQLite and PostgreSQL alike.
  const affected = (await db.sequelize.query(`DELETE FROM flow_runs WHERE id IN (SELECT r.id ${PURGEABLE} LIMIT :batch)`, {
    replacements: { cutoff, batch },
    type: QueryTypes.BULKDELETE,
  })) as unknown as number;
  return Number(affected);
}

