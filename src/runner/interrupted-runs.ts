import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import { markInterruptedManualRuns } from "../data/manual-runs.ts";
import type { FlowRunRecord } from "../data/records.ts";
import { log } from "../log.ts";
import type { ChannelMessages } from "../reply/messages.ts";
import { announceRunOutcomes } from "./run-outcome.ts";

/** What recovering interrupted runs needs; a Runtime has all of it. */
interface RecoveryDeps {
  db: Database;
  config: Config;
  clock: Clock;
  services: { messages: ChannelMessages };
  background?: { track(name: string, work: () => Promise<unknown>): void };
}

/**
 * Recovers manual runs cut off by a bot that stopped mid-request: those still `running` longer than
 * RUNNER_TIMEOUT_MS plus RUN_INTERRUPTED_GRACE_MS with no answer from the engine are marked error (the
 * guarded transition in the data layer), their integrations freed and their Slack messages updated.
 */
async function recoverInterruptedRuns(deps: RecoveryDeps): Promise<FlowRunRecord[]> {
  const now = deps.clock.now();
  const startedBefore = new Date(now.getTime() - deps.config.runnerTimeoutMs - deps.config.runInterruptedGraceMs);
  const marked = await markInterruptedManualRuns(deps.db, { startedBefore, now });
  if (marked.length === 0) return marked;
  // The runs are freed already; their messages follow without holding up start-up.
  if (deps.background) deps.background.track("announce interrupted runs", () => announceRunOutcomes(deps, marked));
  else await announceRunOutcomes(deps, marked);
  return marked;
}

/**
 * Recovers interrupted runs now (resolving once that first pass is stored, so a restarted bot never answers
 * "already running" for a run it lost) and then every `everyMs` (default: the grace, at most a minute).
 */
export async function startInterruptedRunRecovery(deps: RecoveryDeps, everyMs = Math.min(60_000, deps.config.runInterruptedGraceMs)): Promise<{ stop(): Promise<void> }> {
  let running: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    running = recoverInterruptedRuns(deps).catch((error: unknown) => log.error({ err: error }, "could not recover interrupted runs"));
    return running;
  };
  await sweep();
  const timer = setInterval(sweep, Math.max(250, everyMs));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
