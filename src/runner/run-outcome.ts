import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import { integrationNames } from "../data/integrations.ts";
import type { FlowRunRecord } from "../data/records.ts";
import { log } from "../log.ts";
import type { ChannelMessages } from "../reply/messages.ts";
import { presentRunAnnouncement } from "../slack/presenters/run-announcement.ts";

/** What announcing needs; a Runtime has all of it. */
interface RunAnnouncer {
  db: Database;
  config: Config;
  clock: Clock;
  services: { messages: ChannelMessages };
}

/** The audit detail of a run request. */
export function runRequestDetail(runId: string): string {
  return `requested ${runId}`;
}

/** Who asked for a run, as markup: a Slack mention where the request came from Slack, else the requester's label. */
function requester(run: FlowRunRecord): string {
  return run.requestedBySlackUserId ? `<@${run.requestedBySlackUserId}>` : (run.requestedBy ?? "someone");
}

/**
 * Tells Slack how manual runs went: updates the message each run's request was announced in.
 * Called after run outcomes are stored, by the run request itself and by POST /api/runs.
 * Runs without a message (bulk re-runs, scheduled runs) are passed over; a Slack failure is logged, never thrown.
 */
export async function announceRunOutcomes(runtime: RunAnnouncer, runs: FlowRunRecord[]): Promise<void> {
  const announced = runs.filter((run) => run.trigger === "manual" && ((run.slackChannel && run.slackTs) || run.slackResponseUrl));
  if (announced.length === 0) return;
  const { db } = runtime;
  const nameById = await integrationNames(db, announced.map((run) => run.integrationId));
  const now = runtime.clock.now();
  for (const run of announced) {
    const doc = presentRunAnnouncement({
      integration: { id: run.integrationId, name: nameById.get(run.integrationId) ?? run.integrationId },
      run,
      requester: requester(run),
      timeZone: runtime.config.timeZone,
      now,
    });
    try {
      if (run.slackChannel && run.slackTs) {
        await runtime.services.messages.update({ channel: run.slackChannel, ts: run.slackTs }, doc);
      } else if (run.slackResponseUrl && runtime.services.messages.respond) {
        await runtime.services.messages.respond(run.slackResponseUrl, { visibility: "in_channel", replaceOriginal: true, doc });
      }
    } catch (error) {
      log.warn({ err: error, runId: run.id, integrationId: run.integrationId }, "could not update a run's Slack message");
    }
  }
}
