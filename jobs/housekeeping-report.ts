import { slackMode } from "../src/config.ts";
import type { Database } from "../src/data/database.ts";
import { commitReport } from "../src/data/findings.ts";
import { refreshDueHealth, scanHousekeeping } from "../src/data/health.ts";
import { openIncidentMembership } from "../src/data/incidents.ts";
import { describeIntegrationsByIds } from "../src/data/integrations.ts";
import { lastErrorsOf } from "../src/data/receipts.ts";
import { autoDisableDue, daysBetween, housekeepingRules, runsCost, type HousekeepingRules } from "../src/domain/housekeeping.ts";
import { evaluateFindings, MAX_DETAILED_FINDINGS, readReport, type EvaluatedFinding } from "../src/housekeeping/report.ts";
import { log } from "../src/log.ts";
import type { Doc } from "../src/reply/document.ts";
import {
  presentAutoDisabled,
  presentAutoDisableSpared,
  presentHousekeepingReport,
  type AutoDisabled,
  type AutoDisableNotice,
  type AutoDisableSpared,
  type HousekeepingReportView,
} from "../src/slack/presenters/housekeeping-report.ts";
import type { Job, JobContext, JobSummary } from "./job.ts";

/** The job's name, as `embedops job` and the audit log know it. */
const HOUSEKEEPING_JOB = "housekeeping-report";

/** Where a dry run or the local console "posts" when HOUSEKEEPING_CHANNEL is unset, so the report can still be read. */
const PLACEHOLDER_CHANNEL = "HOUSEKEEPING_CHANNEL";

/** A finding AUTO_DISABLE_AFTER_DAYS disables, with its receipt, and the reason recorded on it. */
interface DueDisable extends AutoDisabled {
  disabledReason: string;
}

/**
 * The findings whose AUTO_DISABLE_AFTER_DAYS grace ran out, each with its receipt, except failing ones whose failure
 * belongs to an open incident: those are returned as spared. Changes nothing: the report's commit disables them.
 */
async function planAutoDisable(ctx: JobContext, findings: EvaluatedFinding[], rules: HousekeepingRules, now: Date): Promise<{ due: DueDisable[]; spared: AutoDisableSpared[] }> {
  // Overdue is a warning, not a reason to stop paying: only failing and stale findings are disabled.
  const dueFindings = findings.filter((finding) => finding.kind !== "overdue" && autoDisableDue(finding.health.stored, now, rules.autoDisableAfterDays));
  if (dueFindings.length === 0) return { due: [], spared: [] };
  const { db, config } = ctx.runtime;
  const ids = dueFindings.map((finding) => finding.health.integrationId);
  const rows = await describeIntegrationsByIds(db, ids);
  const incidentOf = await openIncidentMembership(db, dueFindings.filter((finding) => finding.kind === "failing").map((finding) => finding.health.integrationId));
  const errors = await lastErrorsOf(db, ids, 3);
  const due: DueDisable[] = [];
  const spared: AutoDisableSpared[] = [];
  for (const finding of dueFindings) {
    const id = finding.health.integrationId;
    const row = rows.get(id);
    const incidentId = finding.kind === "failing" ? incidentOf.get(id) : undefined;
    if (incidentId) {
      spared.push({ integrationId: id, name: row?.name ?? id, groupName: row?.groupName ?? finding.health.groupId, incidentId });
      log.info({ integrationId: id, incidentId }, "auto-disable skipped: the failure belongs to an open incident");
      continue;
    }
    due.push({
      integrationId: id,
      name: row?.name ?? id,
      groupName: row?.groupName ?? finding.health.groupId,
      kind: finding.kind,
      reason: finding.reason,
      firstReportedDays: daysBetween(finding.health.stored!.firstReportedAt, now, config.timeZone),
      receipt: {
        lastErrors: (errors.get(id) ?? []).map((error) => ({ at: error.startedAt, error: error.error })),
        runs30d: finding.health.runs30d,
        cost: runsCost(finding.health.runs30d, rules.pricePerRun),
      },
      disabledReason: `${finding.kind} for ${rules.autoDisableAfterDays} days after the housekeeping report named it: ${finding.reason}`,
    });
  }
  return { due, spared };
}

/**
 * The report's messages in the order they go out, each under its key within the firing: the auto-disable receipts,
 * the spared notice, the summary, and the details in the summary's thread. A report with nothing in it stays quiet.
 */
function reportMessages(firing: string, channel: string, parts: { disabled: AutoDisabled[]; spared: AutoDisableSpared[]; view: HousekeepingReportView; notice: AutoDisableNotice | undefined }) {
  const key = (item: string) => `${HOUSEKEEPING_JOB}:${firing}:${item}`;
  const out: Array<{ key: string; channel: string; doc: Doc; threadKey?: string }> = [];
  if (parts.disabled.length && parts.notice) {
    presentAutoDisabled(parts.disabled, parts.notice).forEach((doc, i) => out.push({ key: key(`auto-disabled:${i + 1}`), channel, doc }));
  }
  if (parts.spared.length) out.push({ key: key("spared"), channel, doc: presentAutoDisableSpared(parts.spared) });
  if (parts.view.findings.length) {
    const report = presentHousekeepingReport(parts.view);
    out.push({ key: key("summary"), channel, doc: report.summary });
    report.thread.forEach((doc, i) => out.push({ key: key(`details:${i + 1}`), channel, doc, threadKey: key("summary") }));
  }
  return out;
}

/** A dry run's messages, handed to its collector at once (threads by the collector's ts): nothing is queued. */
async function printMessages(ctx: JobContext, messages: ReturnType<typeof reportMessages>): Promise<void> {
  const posted = new Map<string, string>();
  for (const message of messages) {
    const threadTs = message.threadKey ? posted.get(message.threadKey) : undefined;
    const ref = await ctx.messages.post(message.channel, message.doc, threadTs ? { threadTs } : undefined);
    posted.set(message.key, ref.ts);
  }
}

/**
 * One firing of the report: scan, plan the auto-disables, then in one transaction remember the findings, disable
 * and queue the messages in the outbox under the firing's keys (a dry run only prints them).
 */
async function perform(ctx: JobContext): Promise<JobSummary> {
  const { db, config } = ctx.runtime;
  const now = ctx.runtime.clock.now();
  const rules = housekeepingRules(config);
  await refreshDueHealth(db, rules, now);
  // Only the findings whose grace ran out are read whole here; the report sums the rest in the database.
  const candidates =
    rules.autoDisableAfterDays === undefined
      ? []
      : evaluateFindings(await scanHousekeeping(db, { scope: { all: true }, now, rules, overdue: true, autoDisableAfterDays: rules.autoDisableAfterDays, refreshed: true }), now, config.timeZone);
  const { due, spared } = await planAutoDisable(ctx, candidates, rules, now);
  const dueIds = new Set(due.map((d) => d.integrationId));
  const view = await readReport(
    db,
    { scope: { all: true }, now, rules, timeZone: config.timeZone },
    { showButtons: () => true, detailLimit: MAX_DETAILED_FINDINGS, withheld: candidates.filter((finding) => dueIds.has(finding.health.integrationId)) },
  );
  const printsOnly = ctx.dryRun || slackMode(config) === "console";
  const channel = config.housekeepingChannel ?? (printsOnly ? PLACEHOLDER_CHANNEL : undefined);
  if (!channel) log.warn({ job: HOUSEKEEPING_JOB }, "HOUSEKEEPING_CHANNEL is not set: the report is not posted");
  const notice = rules.autoDisableAfterDays === undefined ? undefined : { afterDays: rules.autoDisableAfterDays, currency: rules.currency, timeZone: config.timeZone };
  const messagesFor = (disabled: AutoDisabled[]) => (channel ? reportMessages(ctx.fireKey ?? ctx.firedAt.toISOString(), channel, { disabled, spared, view, notice }) : []);
  let outcome: { resolved: number; disabled: AutoDisabled[]; queued: number };
  if (ctx.dryRun) {
    const messages = messagesFor(due);
    await printMessages(ctx, messages);
    outcome = { resolved: 0, disabled: due, queued: messages.length };
  } else {
    const committed = await commitReport(db, {
      autoDisable: due.map((d) => ({ integrationId: d.integrationId, reason: d.disabledReason })),
      actor: ctx.actor,
      now,
      messages: (disabled) => messagesFor(due.filter((d) => disabled.has(d.integrationId))),
    });
    for (const id of committed.disabled) log.info({ integrationId: id }, "integration disabled by the housekeeping report");
    outcome = { resolved: committed.resolved, disabled: due.filter((d) => committed.disabled.includes(d.integrationId)), queued: committed.queued };
  }
  const { resolved, disabled, queued } = outcome;
  const t = view.totals;
  const text =
    `${ctx.dryRun ? "[dry run] " : ""}housekeeping report: ${t.failing} failing, ${t.stale} stale, ${t.overdue} overdue (${t.newFindings} new), ` +
    `${view.snoozed} snoozed, ${resolved} resolved, ${disabled.length} ${ctx.dryRun ? "would be " : ""}auto-disabled` +
    (spared.length ? ` (${spared.length} spared: in an open incident)` : "") + "; " +
    `${t.runs30d} runs in 30 days ≈ ${t.cost.toFixed(2)} ${rules.currency}; ${queued} message(s) ${channel ? `to ${channel}` : "(HOUSEKEEPING_CHANNEL unset)"}`;
  return {
    text,
    counts: { failing: t.failing, stale: t.stale, overdue: t.overdue, new: t.newFindings, snoozed: view.snoozed, resolved, autoDisabled: disabled.length, sparedByIncidents: spared.length, runs30d: t.runs30d, messages: queued },
  };
}

/** `housekeeping-report`: the stale and failing integrations with their cost, Disable and Snooze, on HOUSEKEEPING_CRON. */
export const housekeepingReport: Job = {
  name: HOUSEKEEPING_JOB,
  description: "Post the failing and stale integrations, with why and what their runs cost, to HOUSEKEEPING_CHANNEL.",
  schedule: (runtime) => runtime.config.housekeepingCron,
  perform,
};
