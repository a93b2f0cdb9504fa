import { refreshDueHealth } from "../src/data/health.ts";
import { healthRules } from "../src/data/integrations.ts";
import type { Job, JobContext, JobSummary } from "./job.ts";

/** Every minute: a verdict that time changes (stale, overdue, the rate window) is recomputed within a minute. */
const HEALTH_SWEEP_CRON = "* * * * *";

/** Rows one firing recomputes at most; the rest stay due for the next firing (and for readers, which refresh first). */
const SWEEP_LIMIT = 200_000;

async function perform(ctx: JobContext): Promise<JobSummary> {
  const { db, config, clock } = ctx.runtime;
  const now = clock.now();
  if (ctx.dryRun) return { text: "[dry run] health sweep: would recompute the verdicts due now", counts: { refreshed: 0 } };
  const { refreshed, more } = await refreshDueHealth(db, healthRules(config, now), now, SWEEP_LIMIT);
  return { text: `health sweep: recomputed ${refreshed} verdict(s) due by ${now.toISOString()}${more ? "; more remain for the next firing" : ""}`, counts: { refreshed, more: more ? 1 : 0 } };
}

/** `health-sweep`: recomputes the kept health verdicts whose due time has passed, in batches, every minute. */
export const healthSweep: Job = {
  name: "health-sweep",
  description: "Recompute the kept health verdicts (failing, stale, overdue) that time has changed, in batches.",
  schedule: () => HEALTH_SWEEP_CRON,
  perform,
};
