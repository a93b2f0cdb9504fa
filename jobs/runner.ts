import { randomBytes } from "node:crypto";
import { badInput } from "../src/errors.ts";
import { log, withLogContext } from "../src/log.ts";
import { jobDurationSeconds, jobRunsTotal } from "../src/metrics.ts";
import type { Runtime } from "../src/runtime.ts";
import type { ChannelMessages } from "../src/reply/messages.ts";
import { JOBS } from "./index.ts";
import type { Job, JobSummary } from "./job.ts";

/** A firing that takes longer than this is logged as a warning: the next one may be skipped (no overlap). */
const LONG_RUN_MS = 60_000;

/** How one run of a job ended. */
interface JobRunResult {
  job: string;
  outcome: "ok" | "error";
  summary?: JobSummary;
  /** The failure's message (the full error is in the log). */
  error?: string;
  durationMs: number;
}

/** How a job is run: by its schedule, or by hand (`embedops job`, tests). */
interface JobRunOptions {
  messages: ChannelMessages;
  /** The firing's scheduled time (or now, by hand). */
  firedAt: Date;
  dryRun?: boolean;
  /** `takeover`: a firing another process held and stopped renewing. */
  trigger: "schedule" | "manual" | "takeover";
  /** The firing's lease key, for the logs. */
  fireKey?: string;
}

/** The job registered under `name`; bad input naming the jobs there are otherwise. */
export function findJob(name: string, jobs: readonly Job[] = JOBS): Job {
  const job = jobs.find((candidate) => candidate.name === name);
  if (!job) throw badInput(`No job "${name}"; the jobs are ${jobs.map((candidate) => candidate.name).join(", ")}.`);
  return job;
}

/**
 * The one wrapper every job goes through: structured logs with the job's name, timing, a warning when it runs
 * long, failures caught and logged (never thrown), and the job metrics. The job acts as `job:NAME`.
 */
export async function runJob(runtime: Runtime, job: Job, options: JobRunOptions): Promise<JobRunResult> {
  const jobId = options.fireKey ?? `manual-${randomBytes(4).toString("hex")}`;
  return withLogContext({ job: job.name, jobId }, async () => {
    const started = performance.now();
    const endTimer = jobDurationSeconds.startTimer({ job: job.name });
    log.info({ trigger: options.trigger, dryRun: Boolean(options.dryRun), firedAt: options.firedAt.toISOString() }, "job started");
    const longRun = setTimeout(() => log.warn({ afterMs: LONG_RUN_MS }, "job is still running"), LONG_RUN_MS);
    longRun.unref();
    try {
      const summary = await job.perform({
        runtime,
        firedAt: options.firedAt,
        fireKey: jobId,
        dryRun: Boolean(options.dryRun),
        messages: options.messages,
        actor: { kind: "job", job: job.name },
      });
      const durationMs = Math.round(performance.now() - started);
      jobRunsTotal.inc({ job: job.name, outcome: "ok" });
      log.info({ durationMs, counts: summary.counts }, summary.text);
      return { job: job.name, outcome: "ok", summary, durationMs };
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      jobRunsTotal.inc({ job: job.name, outcome: "error" });
      log.error({ err: error, durationMs }, "job failed");
      return { job: job.name, outcome: "error", error: error instanceof Error ? error.message : String(error), durationMs };
    } finally {
      clearTimeout(longRun);
      endTimer();
    }
  });
}
