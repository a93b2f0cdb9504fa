import { Op } from "sequelize";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import type { FlowRunRecord } from "../data/records.ts";
import { log } from "../log.ts";
import type { ChannelMessages } from "../slash/command.ts";
import { presentRunAnnouncement } from "../slack/presenters/run-announcement.ts";

/** What announcing needs; a Runtime has all of it. */
export interface RunAnnouncer {
  db: Database;
  config: Config;
  clock: Clock;
  services: { messages: ChannelMessages };
}

/** The audit detail of a run request: how the announcement finds who asked (their Slack id). */
export function runRequestDetail(runId: string): string {
  return `requested ${runId}`;
}

/** Who asked for each run, as markup: a Slack mention where the request came from Slack, else the email. */
async function requesters(db: Database, runs: FlowRunRecord[]): Promise<Map<string, string>> {
  const events = await db.models.AuditEvent.findAll({
    where: {
      action: "run",
      targetId: { [Op.in]: [...new Set(runs.map((run) => run.integrationId))] },
      detail: { [Op.in]: runs.map((run) => runRequestDetail(run.id)) },
    },
    attributes: ["detail", "actor", "actorSlackUserId"],
  });
  const byRun = new Map<string, string>();
  for (const event of events) {
    const runId = event.detail!.slice(runRequestDetail("").length);
    byRun.set(runId, event.actorSlackUserId ? `<@${event.actorSlackUserId}>` : event.actor);
  }
  return byRun;
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
  const [integrations, askedBy] = await Promise.all([
    db.models.Integration.findAll({ where: { id: { [Op.in]: [...new Set(announced.map((run) => run.integrationId))] } }, attributes: ["id", "name"] }),
    requesters(db, announced),
  ]);
  const nameById = new Map(integrations.map((integration) => [integration.id, integration.name]));
  const now = runtime.clock.now();
  for (const run of announced) {
    const doc = presentRunAnnouncement({
      integration: { id: run.integrationId, name: nameById.get(run.integrationId) ?? run.integrationId },
      run,
      requester: askedBy.get(run.id) ?? run.requestedBy ?? "someone",
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
