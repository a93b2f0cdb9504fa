import { Op, QueryTypes } from "sequelize";
import type { Database } from "./database.ts";

/** One scheduled firing of a job, held by one process. */
interface Lease {
  jobName: string;
  fireKey: string;
  holder: string;
}

/**
 * Leases: one row per firing of a job (job_name, fire_key), held by one process.
 *   acquireLease   the one atomic INSERT that decides which replica runs a firing
 *   renewLease     the holder's heartbeat, pushing expires_at on while it works
 *   takeLease      insert, renew, or take over a lease whose expiry passed (its holder died)
 *   expiredLeases  unfinished firings whose holder stopped renewing: another replica finishes them
 *   finishLease    how the firing ended
 * A lease with no expiry (taken before expiries existed) is never taken over.
 */

/**
 * Takes the lease on one firing with one atomic INSERT: true for the one process whose row went in; in every
 * other the same INSERT hits the primary key and does nothing.
 */
export async function acquireLease(db: Database, lease: Lease, at: Date, expiresAt: Date | null = null): Promise<boolean> {
  const [, inserted] = (await db.sequelize.query(
    `INSERT INTO job_leases (job_name, fire_key, holder, acquired_at, expires_at) VALUES (:jobName, :fireKey, :holder, :at, :expiresAt)
     ON CONFLICT (job_name, fire_key) DO NOTHING`,
    { replacements: { ...lease, at, expiresAt }, type: QueryTypes.INSERT },
  )) as unknown as [unknown, number];
  return Number(inserted) === 1;
}

/**
 * Takes or renews a lease with an expiry: inserts it, or, when the row exists unfinished, keeps it for `holder`
 * if it is already theirs or its expiry has passed (its holder died). True when `holder` holds it until
 * `now + ttlMs`. Used by a firing's takeover and by the outbox sender's single-sender lease.
 */
export async function takeLease(db: Database, lease: Lease, now: Date, ttlMs: number): Promise<boolean> {
  const expiresAt = new Date(now.getTime() + ttlMs);
  if (await acquireLease(db, lease, now, expiresAt)) return true;
  const [taken] = await db.models.JobLease.update(
    { holder: lease.holder, expiresAt },
    { where: { jobName: lease.jobName, fireKey: lease.fireKey, finishedAt: { [Op.is]: null }, [Op.or]: [{ holder: lease.holder }, { expiresAt: { [Op.lt]: now } }] } },
  );
  return taken === 1;
}

/** The holder's heartbeat: pushes its lease's expiry to `now + ttlMs`; false when the lease is no longer its own. */
export async function renewLease(db: Database, lease: Lease, now: Date, ttlMs: number): Promise<boolean> {
  const [renewed] = await db.models.JobLease.update(
    { expiresAt: new Date(now.getTime() + ttlMs) },
    { where: { jobName: lease.jobName, fireKey: lease.fireKey, holder: lease.holder, finishedAt: { [Op.is]: null } } },
  );
  return renewed === 1;
}

/** Unfinished leases of these jobs whose expiry passed: firings whose holder died, to be taken over. */
export async function expiredLeases(db: Database, jobNames: readonly string[], now: Date): Promise<Array<{ jobName: string; fireKey: string; holder: string }>> {
  const rows = await db.models.JobLease.findAll({
    where: { jobName: { [Op.in]: [...jobNames] }, finishedAt: { [Op.is]: null }, expiresAt: { [Op.lt]: now } },
    order: [["acquiredAt", "ASC"]],
    limit: 20,
  });
  return rows.map((row) => ({ jobName: row.jobName, fireKey: row.fireKey, holder: row.holder }));
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
