import { housekeepingReport } from "./housekeeping-report.ts";
import { failureAlerts } from "./failure-alerts.ts";
import { healthSweep } from "./health-sweep.ts";
import type { Job } from "./job.ts";
import { runRetention } from "./run-retention.ts";

/** Every scheduled job: the one place they are listed. */
export const JOBS: readonly Job[] = [housekeepingReport, runRetention, failureAlerts, healthSweep];
