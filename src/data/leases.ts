import { Op, QueryTypes } from "sequelize";
import type { Database } from "./database.ts";

/** One scheduled firing of a job, held by one process. */
interface Lease {
  jobName: string;
  fireKey: string;
  holder: string;
}

/**
 * Takes the lease on one firing with one atomic INSERT: true for the one process whose row went in; in every
 * other the same INSERT hits the primary key and does nothing.
 */
export async function acquireLease(db: Database, lease: Lease, at: Date): Promise<boolean> {
  const [, inserted] = (await db.sequelize.query(
    `INSERT INTO job_leases (job_name, fire_key, holder, acquired_at) VALUES (:jobName, :fireKey, :holder, :at)
     ON CONFLICT (job_name, fire_key) DO NOTHING`,
    { replacements: { ...lease, at }, type: QueryTypes.INSERT },
  )) as unknown as [unknown, number];
  return Number(inserted) === 1;
}

/** Marks the holder's lease finished, with how the firing ended; without an outcome only if not finished already. */
export async function finishLease(db: Database, lease: Lease, at: Date, outcome?: string): Promise<void> {
  if (outcome === undefined) {
    await db.models.JobLease.update({ finishedAt: at }, { where: { ...lease, finishedAt: { [Op.is]: null } } });
  } else {
    await db.models.JobLease.update({ finishedAt: at, outcome: outcome.slice(0, 500) }, { where: { ...lease } });
  }
}

/** Deletes the leases taken before `before`; returns how many went. */
export async function purgeLeases(db: Database, before: Date): Promise<number> {
  return db.models.JobLease.destroy({ where: { acquiredAt: { [Op.lt]: before } } });
}
