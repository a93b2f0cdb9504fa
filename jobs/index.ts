import { failureAlerts } from "./failure-alerts.ts";
import type { Job } from "./job.ts";

/** Every scheduled job: the one place they are listed. */
export const JOBS: readonly Job[] = [failureAlerts];
