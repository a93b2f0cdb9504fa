import { Op, QueryTypes } from "sequelize";
import type { Database } from "../src/data/database.ts";
import { log } from "../src/log.ts";
import type { Job, JobContext, JobSummary } from "./job.ts";

/** Flow runs deleted per statement: short statements keep locks short while the engine keeps reporting runs. */
export const RETENTION_BATCH = 5_000;

/** Job leases are needed only while replicas may still fire the same slot; a week is plenty. */
const LEASE_KEEP_DAYS = 7;

const DAY_MS = 86_400_000;

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

async function perform(ctx: JobContext): Promise<JobSummary> {
  const { db, config } = ctx.runtime;
  const now = ctx.runtime.clock.now();
  const cutoff = new Date(now.getTime() - config.runRetentionDays * DAY_MS);
  if (ctx.dryRun) {
    const would = await countPurgeableRuns(db, cutoff);
    return { text: `[dry run] run retention: ${would} flow run(s) started before ${cutoff.toISOString()} would be deleted`, counts: { deleted: 0, wouldDelete: would } };
  }
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const gone = await purgeRunBatch(db, cutoff);
    deleted += gone;
    batches += 1;
    if (gone > 0) log.debug({ batch: batches, deleted: gone }, "deleted a batch of old flow runs");
    if (gone < RETENTION_BATCH) break;
  }
  const leases = await db.models.JobLease.destroy({ where: { acquiredAt: { [Op.lt]: new Date(now.getTime() - LEASE_KEEP_DAYS * DAY_MS) } } });
  return {
    text: `run retention: deleted ${deleted} flow run(s) started before ${cutoff.toISOString()} in ${batches} batch(es); every integration's latest run kept`,
    counts: { deleted, batches, leases },
  };
}

/** `run-retention`: deletes flow runs older than RUN_RETENTION_DAYS in batches, never an integration's latest run. */
export const runRetention: Job = {
  name: "run-retention",
  description: "Delete flow runs older than RUN_RETENTION_DAYS, in batches, keeping each integration's latest run.",
  schedule: (runtime) => runtime.config.retentionCron,
  perform,
};
