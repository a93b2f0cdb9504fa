import { countPurgeableRuns, purgeRunBatch, RETENTION_BATCH } from "../src/data/run-retention.ts";
import { purgeLeases } from "../src/data/leases.ts";
import { log } from "../src/log.ts";
import type { Job, JobContext, JobSummary } from "./job.ts";

/** Job leases are needed only while replicas may still fire the same slot; a week is plenty. */
const LEASE_KEEP_DAYS = 7;

const DAY_MS = 86_400_000;

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
  const leases = await purgeLeases(db, new Date(now.getTime() - LEASE_KEEP_DAYS * DAY_MS));
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
