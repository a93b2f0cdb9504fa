import cron, { type ScheduledTask } from "node-cron";
import type { Runtime } from "../src/runtime.ts";
import { log } from "../src/log.ts";
import type { ChannelMessages } from "../src/slash/command.ts";
import { JOBS } from "./index.ts";

/** The running schedules of a process. */
export interface Schedules {
  stop(): Promise<void>;
}

/** Schedules every job on its cron expression in TZ; each firing calls perform with the job as actor. */
export function startSchedules(runtime: Runtime, messages: ChannelMessages): Schedules {
  const tasks: ScheduledTask[] = JOBS.map((job) =>
    cron.schedule(
      job.schedule(runtime),
      async () => {
        try {
          const summary = await job.perform({ runtime, firedAt: runtime.clock.now(), dryRun: false, messages, actor: { kind: "job", job: job.name } });
          log.info({ job: job.name, counts: summary.counts }, summary.text);
        } catch (error) {
          log.error({ err: error, job: job.name }, "job failed");
        }
      },
      { timezone: runtime.config.timeZone, name: job.name, noOverlap: true },
    ),
  );
  return {
    async stop() {
      for (const task of tasks) await task.stop();
    },
  };
}
