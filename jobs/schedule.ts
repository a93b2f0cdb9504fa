import cron, { type Logger as CronLogger, type ScheduledTask } from "node-cron";
import { ConfigError } from "../src/config.ts";
import { log } from "../src/log.ts";
import { jobRunsTotal } from "../src/metrics.ts";
import type { Runtime } from "../src/runtime.ts";
import type { ChannelMessages } from "../src/reply/messages.ts";
import { JOBS } from "./index.ts";
import type { Job } from "./job.ts";
import { DatabaseRunCoordinator, fireKeyOf } from "./run-coordinator.ts";
import { runJob } from "./runner.ts";

/** The running schedules of a process. */
export interface Schedules {
  /** Stops every schedule and waits for firings already under way. */
  stop(): Promise<void>;
}

/** Options for tests: other jobs, or a coordinator of their own. */
interface ScheduleOptions {
  jobs?: readonly Job[];
  coordinator?: DatabaseRunCoordinator;
}

/** node-cron's own warnings (missed firings, blocked overlaps) in our structured log. */
const cronLogger: CronLogger = {
  info: (message) => log.info({ source: "node-cron" }, message),
  warn: (message) => log.warn({ source: "node-cron" }, message),
  error: (message, err) => log.error({ source: "node-cron", err: err ?? message }, typeof message === "string" ? message : message.message),
  debug: (message) => log.debug({ source: "node-cron" }, String(message)),
};

/** Each job's cron expression, checked: a bad one fails start-up naming the job. */
function validateSchedules(runtime: Runtime, jobs: readonly Job[] = JOBS): Array<{ job: Job; expression: string }> {
  const names = new Set<string>();
  return jobs.map((job) => {
    if (names.has(job.name)) throw new ConfigError(job.name, "two jobs share this name; each firing is leased by job name");
    names.add(job.name);
    const expression = job.schedule(runtime);
    if (!cron.validate(expression)) throw new ConfigError(job.name, `"${expression}" is not a valid cron expression`);
    return { job, expression };
  });
}

/**
 * Schedules every job on its cron expression in TZ, without overlap. Each firing first takes its lease in the
 * database (node-cron's RunCoordinator), so with several replicas on one database it runs in exactly one of them;
 * then it goes through the job runner (logs, timing, metrics, failures caught) with the job as actor.
 */
export function startSchedules(runtime: Runtime, messages: ChannelMessages, options: ScheduleOptions = {}): Schedules {
  const planned = validateSchedules(runtime, options.jobs ?? JOBS);
  const coordinator = options.coordinator ?? new DatabaseRunCoordinator(runtime.db, runtime.clock, undefined, runtime.config.jobLeaseTtlMs);
  const inFlight = new Set<Promise<unknown>>();
  /** Runs one firing this process holds the lease of, renewing the lease until it ends, then records how it ended. */
  const runFiring = (job: Job, fireKey: string, firedAt: Date, trigger: "schedule" | "takeover") => {
    const firing = (async () => {
      const stopHeartbeat = coordinator.keepAlive(job.name, fireKey);
      try {
        const result = await runJob(runtime, job, { messages, firedAt, trigger, fireKey });
        await coordinator
          .finish(job.name, fireKey, result.outcome === "ok" ? "ok" : `error: ${result.error ?? ""}`)
          .catch((error: unknown) => log.error({ err: error, job: job.name, fireKey }, "could not record the end of a job lease"));
      } finally {
        stopHeartbeat();
      }
    })();
    inFlight.add(firing);
    return firing.finally(() => inFlight.delete(firing));
  };
  const tasks = planned.map(({ job, expression }) => scheduleJob(runtime, coordinator, job, expression, runFiring));
  const takeover = watchForTakeovers(coordinator, planned.map(({ job }) => job), runtime.config.jobLeaseTtlMs, runFiring);
  log.info({ jobs: planned.map(({ job, expression }) => ({ job: job.name, schedule: expression })), timeZone: runtime.config.timeZone, holder: coordinator.holder }, "schedules started");
  return {
    async stop() {
      await takeover.stop();
      for (const task of tasks) await task.destroy();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** How a firing this process holds is run. */
type RunFiring = (job: Job, fireKey: string, firedAt: Date, trigger: "schedule" | "takeover") => Promise<unknown>;

/** One job on node-cron: no overlap, each firing behind the coordinator's lease; skipped firings are counted. */
function scheduleJob(runtime: Runtime, coordinator: DatabaseRunCoordinator, job: Job, expression: string, runFiring: RunFiring): ScheduledTask {
  const task = cron.schedule(expression, (context) => runFiring(job, fireKeyOf(context.date), context.date, "schedule"), {
    timezone: runtime.config.timeZone,
    name: job.name,
    noOverlap: true,
    distributed: true,
    runCoordinator: coordinator,
    logger: cronLogger,
  });
  task.on("execution:skipped", (context) => {
    const fireKey = fireKeyOf(context.date);
    if (context.reason === "coordinator-error") {
      jobRunsTotal.inc({ job: job.name, outcome: "lease_error" });
      log.error({ job: job.name, fireKey, err: context.error }, "could not take the job lease; this firing is skipped here");
    } else {
      jobRunsTotal.inc({ job: job.name, outcome: "skipped" });
      log.debug({ job: job.name, fireKey }, "another process runs this firing");
    }
  });
  return task;
}

/**
 * Firings whose holder died (its lease expired unfinished) are taken over here and run to the end: looked for
 * every half lease, so well within a minute of the death.
 */
function watchForTakeovers(coordinator: DatabaseRunCoordinator, jobs: Job[], leaseTtlMs: number, runFiring: RunFiring): { stop(): Promise<void> } {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = coordinator
      .takeOverExpired([...byName.keys()])
      .then((taken) => {
        for (const { jobName, fireKey, previousHolder } of taken) {
          const job = byName.get(jobName);
          if (!job) continue;
          log.warn({ job: jobName, fireKey, previousHolder }, "took over a firing whose holder stopped");
          void runFiring(job, fireKey, new Date(fireKey), "takeover");
        }
      })
      .catch((error: unknown) => log.error({ err: error }, "could not look for firings to take over"));
  }, Math.max(100, Math.floor(leaseTtlMs / 2)));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await sweeping;
    },
  };
}
