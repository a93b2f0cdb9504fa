import type { Actor } from "../src/domain/permissions.ts";
import type { Runtime } from "../src/runtime.ts";
import type { ChannelMessages } from "../src/reply/messages.ts";

/** What a job receives for one firing. */
export interface JobContext {
  runtime: Runtime;
  /** When this firing was scheduled (or now, when run by hand). */
  firedAt: Date;
  /**
   * The firing's key: its scheduled slot, the same in every replica and in a takeover of it; a job names what it
   * queues in the outbox after it. Absent (a job called directly), `firedAt` names the firing.
   */
  fireKey?: string;
  /** True for `embedops job NAME --dry-run`: compute and describe, post and change nothing. */
  dryRun: boolean;
  /** Where the job posts: Slack, the console's output, or a dry run's collector. */
  messages: ChannelMessages;
  /** The job as an actor, for the audit log. */
  actor: Actor;
}

/** What a job says it did, printed by `embedops job NAME` and logged by the runner. */
export interface JobSummary {
  text: string;
  counts?: Record<string, number>;
}

/** A scheduled job: a plain function callable from tests, the CLI and the scheduler. */
export interface Job {
  name: string;
  /** One line for help and logs. */
  description: string;
  /** The cron expression, from the configuration. */
  schedule(runtime: Runtime): string;
  perform(ctx: JobContext): Promise<JobSummary>;
}
