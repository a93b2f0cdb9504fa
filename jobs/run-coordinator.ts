import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { RunCoordinator } from "node-cron";
import type { Clock } from "../src/clock.ts";
import type { Database } from "../src/data/database.ts";
import { acquireLease, expiredLeases, finishLease, renewLease, takeLease } from "../src/data/leases.ts";
import { log } from "../src/log.ts";

/** The key of one scheduled firing: the same in every replica, since it is the slot the schedule computed. */
export function fireKeyOf(slot: Date): string {
  // node-cron slots are whole seconds; drop anything finer so every replica writes the same text.
  return new Date(Math.floor(slot.getTime() / 1000) * 1000).toISOString();
}

/** Splits node-cron's coordination key `NAME:ISO-SLOT` into the job and its firing. */
function parseCoordinationKey(key: string): { jobName: string; fireKey: string } {
  const at = key.indexOf(":");
  const slot = new Date(key.slice(at + 1));
  if (at <= 0 || Number.isNaN(slot.getTime())) throw new Error(`not a coordination key: ${key}`);
  return { jobName: key.slice(0, at), fireKey: fireKeyOf(slot) };
}

/** Who this process is in the job_leases table. */
function processHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/**
 * node-cron's RunCoordinator on the database: a firing runs in the process whose INSERT of
 * (job_name, fire_key) into job_leases succeeds; in every other replica the same INSERT hits the primary key
 * and does nothing, so that replica skips the firing. One atomic statement on PostgreSQL and on SQLite.
 * The lease expires `leaseTtlMs` after its last heartbeat (wall-clock time, whatever the schedule's clock):
 * the holder renews it while the firing runs; when the holder dies, another replica takes the firing over
 * (`takeOverExpired`) and runs it again, which jobs make harmless by keying everything they post (the outbox).
 */
export class DatabaseRunCoordinator implements RunCoordinator {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    readonly holder: string = processHolder(),
    readonly leaseTtlMs: number = 30_000,
  ) {}

  /** node-cron asks before each firing: true for the one replica that took the lease. */
  async shouldRun(key: string): Promise<boolean> {
    const { jobName, fireKey } = parseCoordinationKey(key);
    return this.acquire(jobName, fireKey);
  }

  /** node-cron says the firing ended: marks the lease finished if the runner did not already. */
  async onComplete(key: string): Promise<void> {
    const { jobName, fireKey } = parseCoordinationKey(key);
    await finishLease(this.db, { jobName, fireKey, holder: this.holder }, this.clock.now());
  }

  /** Takes the lease on one firing; false when another process holds it. */
  async acquire(jobName: string, fireKey: string): Promise<boolean> {
    const won = await acquireLease(this.db, { jobName, fireKey, holder: this.holder }, this.clock.now(), new Date(Date.now() + this.leaseTtlMs));
    log.debug({ job: jobName, fireKey, holder: this.holder, won }, won ? "took the job lease" : "another process has this firing");
    return won;
  }

  /** The holder's heartbeat while a firing runs: renews its lease every third of the TTL; call the result to stop. */
  keepAlive(jobName: string, fireKey: string): () => void {
    const lease = { jobName, fireKey, holder: this.holder };
    const timer = setInterval(() => {
      renewLease(this.db, lease, new Date(), this.leaseTtlMs)
        .then((kept) => {
          if (!kept) log.warn({ job: jobName, fireKey }, "this firing's lease was taken over by another process");
        })
        .catch((error: unknown) => log.warn({ err: error, job: jobName, fireKey }, "could not renew a job lease"));
    }, Math.max(100, Math.floor(this.leaseTtlMs / 3)));
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Takes over the firings of these jobs whose holder stopped renewing their lease; returns those now this process's. */
  async takeOverExpired(jobNames: readonly string[]): Promise<Array<{ jobName: string; fireKey: string; previousHolder: string }>> {
    const taken: Array<{ jobName: string; fireKey: string; previousHolder: string }> = [];
    for (const lease of await expiredLeases(this.db, jobNames, new Date())) {
      // Its own firing is still in its hands (a heartbeat held up), not a dead holder's.
      if (lease.holder === this.holder) continue;
      if (await takeLease(this.db, { jobName: lease.jobName, fireKey: lease.fireKey, holder: this.holder }, new Date(), this.leaseTtlMs)) {
        taken.push({ jobName: lease.jobName, fireKey: lease.fireKey, previousHolder: lease.holder });
      }
    }
    return taken;
  }

  /** Records how the firing ended. */
  async finish(jobName: string, fireKey: string, outcome: string): Promise<void> {
    await finishLease(this.db, { jobName, fireKey, holder: this.holder }, this.clock.now(), outcome);
  }
}
