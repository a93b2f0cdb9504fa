import { alertsOf, alertsQueued, closeAlertWithUpdate, openAlerts, openAlertWithPost, queueAlertPost } from "../src/data/alerts.ts";
import { describeIntegrationsByIds, healthRules, integrationsByIds, newlyUnhealthy } from "../src/data/integrations.ts";
import { reviewIncidents } from "../src/incidents/review.ts";
import type { FailureAlertRecord, IntegrationRecord } from "../src/data/records.ts";
import { log } from "../src/log.ts";
import type { Doc } from "../src/reply/document.ts";
import { presentFailureAlert, type FailureAlertState } from "../src/slack/presenters/failure-alert.ts";
import { toText } from "../src/slack/text-renderer.ts";
import type { Job, JobContext, JobSummary } from "./job.ts";

/** The job's name, as `embedops job` and the logs know it. */
const FAILURE_ALERTS_JOB = "failure-alerts";

/**
 * New alerts queued by one firing at most; the rest follow on the next firings, oldest streak first. Queuing
 * takes milliseconds each: the outbox sender posts them at Slack's pace, apart from the schedule.
 */
const MAX_NEW_ALERTS = 1000;

/**
 * Only streaks whose latest failed run is this recent count as newly failing: an integration that failed
 * long ago and stopped running is the housekeeping report's business, not on-call's.
 */
const ALERT_LOOKBACK_MS = 24 * 60 * 60_000;

/**
 * How an open alert stands now: still open while the kept verdict it was raised for holds since the same moment (an
 * overdue one also while it has gone on to stale: still no run), else recovered, or disabled.
 */
function alertState(alert: Pick<FailureAlertRecord, "streakStartedAt" | "kind">, integration: Pick<IntegrationRecord, "status" | "health" | "healthSince"> | undefined): FailureAlertState {
  if (!integration || integration.status === "disabled") return "disabled";
  if (alert.kind === "overdue" && integration.health === "stale") return "open";
  if (integration.health !== alert.kind || integration.healthSince?.getTime() !== alert.streakStartedAt.getTime()) return "recovered";
  return "open";
}

/** The kind of alert an unhealthy integration gets. */
function alertKind(integration: Pick<IntegrationRecord, "health">): "failing" | "overdue" {
  return integration.health === "overdue" ? "overdue" : "failing";
}

/** What one firing did, or (in a dry run) would do. */
interface Firing {
  ctx: JobContext;
  now: Date;
  channel: string | undefined;
  /** `posted`: alerts handed to the outbox, which posts them at Slack's pace. */
  counts: { posted: number; recovered: number; disabled: number; waiting: number };
  wouldPost: Doc[];
  wouldUpdate: Doc[];
}

/** 1. Open alerts whose episode ended or whose integration was disabled: say so on their message. */
async function closeEndedAlerts(firing: Firing): Promise<void> {
  const { ctx, now, counts } = firing;
  const { db, config } = ctx.runtime;
  const open = await openAlerts(db);
  const alertIntegrations = new Map((await integrationsByIds(db, [...new Set(open.map((alert) => alert.integrationId))])).map((integration) => [integration.id, integration]));
  const closing = open
    .map((alert) => ({ alert, integration: alertIntegrations.get(alert.integrationId), state: alertState(alert, alertIntegrations.get(alert.integrationId)) }))
    .filter((entry) => entry.state !== "open");
  const closingRows = await describeIntegrationsByIds(db, closing.flatMap((entry) => (entry.integration ? [entry.integration.id] : [])));
  for (const { alert, integration, state } of closing) {
    counts[state === "recovered" ? "recovered" : "disabled"] += 1;
    const row = closingRows.get(alert.integrationId);
    const recoveredAt = alert.kind === "overdue" ? integration?.latestRunAt : (integration?.lastSuccessAt ?? integration?.latestRunAt);
    const endedAt = state === "recovered" ? (recoveredAt ?? now) : (integration?.statusChangedAt ?? now);
    const doc = row && integration
      ? presentFailureAlert({ row, state, kind: alert.kind, streakStartedAt: alert.streakStartedAt, failuresInRow: integration.failuresInRow, error: alert.error, endedAt, now, timeZone: config.timeZone })
      : undefined;
    if (ctx.dryRun) {
      if (doc) firing.wouldUpdate.push(doc);
      continue;
    }
    await closeAlertWithUpdate(db, alert, state === "recovered" ? "recovered" : "disabled", doc ? { doc, at: now } : undefined);
  }
}

/** 2. Integrations that newly became failing (any rule) or overdue outside an incident, and alerts not posted before. */
async function queueNewAlerts(firing: Firing, incidentMembers: ReadonlySet<string>): Promise<void> {
  const { ctx, now, counts, channel } = firing;
  const { db, config } = ctx.runtime;
  const failing = await newlyUnhealthy(db, healthRules(config, now), new Date(now.getTime() - ALERT_LOOKBACK_MS));
  const keyOf = (integration: IntegrationRecord) => `${integration.id}|${integration.healthSince?.getTime()}`;
  const alerted = new Map((await alertsOf(db, failing.map((integration) => integration.id))).map((alert) => [`${alert.integrationId}|${alert.streakStartedAt.getTime()}`, alert]));
  // An open alert with no message and none queued was opened before the outbox existed and never posted.
  const queued = await alertsQueued(db, [...alerted.values()].filter((alert) => alert.state === "open" && !alert.ts).map((alert) => alert.id));
  const due = failing.filter((integration) => {
    if (incidentMembers.has(integration.id) || !integration.healthSince) return false;
    const alert = alerted.get(keyOf(integration));
    return !alert || (alert.state === "open" && !alert.ts && !queued.has(alert.id));
  });
  counts.waiting = Math.max(0, due.length - MAX_NEW_ALERTS);
  const batch = due.slice(0, MAX_NEW_ALERTS);
  const rows = await describeIntegrationsByIds(db, batch.map((integration) => integration.id));
  for (const integration of batch) {
    const row = rows.get(integration.id);
    const since = integration.healthSince;
    if (!row || !since) continue;
    const kind = alertKind(integration);
    const error = kind === "overdue" ? null : integration.latestRunError;
    const reason = integration.failuresInRow >= config.failingAfterErrors && kind === "failing" ? null : integration.healthReason;
    const doc = presentFailureAlert({ row, state: "open", kind, reason, streakStartedAt: since, failuresInRow: integration.failuresInRow, error, now, timeZone: config.timeZone });
    if (ctx.dryRun || !channel) {
      firing.wouldPost.push(doc);
      continue;
    }
    // The alert and its message in one transaction: its unique (integration, streak) key keeps two firings from alerting the same streak.
    const alert = alerted.get(keyOf(integration));
    if (alert) await queueAlertPost(db, alert.id, { channel, doc, at: now });
    else if (!(await openAlertWithPost(db, { integrationId: integration.id, kind, streakStartedAt: since, error }, { channel, doc, at: now }))) continue;
    counts.posted += 1;
    log.info({ integrationId: integration.id, kind, failuresInRow: integration.failuresInRow }, "failure alert queued");
  }
}

/**
 * Builds the failure-alerts job. It posts nothing itself: each new alert is opened together with its message in
 * the outbox (one transaction), and each closed alert together with the update of that message, so a firing run
 * twice (taken over from a replica that died, or overlapping the next) queues every message once; incidents'
 * messages go through the outbox the same way.
 */
export function createFailureAlertsJob(): Job {
  let warnedNoChannel = false;

  async function perform(ctx: JobContext): Promise<JobSummary> {
    const { db, config, clock } = ctx.runtime;
    const now = clock.now();
    const channel = config.alertsChannel;
    // Incidents first, even with no channel (auto-disable spares their members): their members get no single alert.
    const incidents = await reviewIncidents({ db, config, now, channel, dryRun: ctx.dryRun });
    if (!channel && !ctx.dryRun) {
      // Said once per process: the job fires every minute.
      if (!warnedNoChannel) log.warn({ job: FAILURE_ALERTS_JOB }, "ALERTS_CHANNEL is not set: failure alerts are not posted");
      warnedNoChannel = true;
      return { text: "failure alerts: ALERTS_CHANNEL is not set; nothing posted", counts: { posted: 0, recovered: 0, disabled: 0, incidentsOpened: incidents.opened } };
    }
    const firing: Firing = { ctx, now, channel, counts: { posted: 0, recovered: 0, disabled: 0, waiting: 0 }, wouldPost: [], wouldUpdate: [] };
    await closeEndedAlerts(firing);
    await queueNewAlerts(firing, incidents.members);
    const { counts, wouldPost, wouldUpdate } = firing;

    if (ctx.dryRun) {
      const where = channel ?? "ALERTS_CHANNEL (unset)";
      const lines = [
        `[dry run] failure alerts: would post ${wouldPost.length} alert(s) to ${where} and mark ${counts.recovered} recovered, ${counts.disabled} disabled` +
          (incidents.opened ? `; would open ${incidents.opened} incident(s)` : "") +
          (counts.waiting ? `; ${counts.waiting} more wait for the next firings` : ""),
        ...[...incidents.wouldPost, ...wouldPost].map((doc) => `--- would post to ${where} ---\n${toText(doc, config.slashCommand)}`),
        ...wouldUpdate.map((doc) => `--- would update ---\n${toText(doc, config.slashCommand)}`),
      ];
      return { text: lines.join("\n\n"), counts: { wouldOpenIncidents: incidents.opened, wouldPost: wouldPost.length, recovered: counts.recovered, disabled: counts.disabled, waiting: counts.waiting } };
    }
    return {
      text: `failure alerts: ${counts.posted} queued for ${channel}, ${counts.recovered} recovered, ${counts.disabled} disabled` +
        (incidents.opened || incidents.updated || incidents.resolved ? `; incidents: ${incidents.opened} opened, ${incidents.updated} updated, ${incidents.resolved} resolved` : "") +
        (counts.waiting ? `, ${counts.waiting} more wait for the next firings` : ""),
      counts: { ...counts, incidentsOpened: incidents.opened, incidentsPosted: incidents.posted, incidentsUpdated: incidents.updated, incidentsResolved: incidents.resolved },
    };
  }

  return {
    name: FAILURE_ALERTS_JOB,
    description: "Post one message to ALERTS_CHANNEL per incident and per integration that newly became failing (outside an incident) or overdue; update them as they grow, recover or are disabled.",
    schedule: (runtime) => runtime.config.alertsCron,
    perform,
  };
}

/** `failure-alerts`: one alert per failure streak, with Re-run, Disable and Runs, on ALERTS_CRON. */
export const failureAlerts: Job = createFailureAlertsJob();
