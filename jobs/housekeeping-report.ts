import { slackMode } from "../src/config.ts";
import type { Database } from "../src/data/database.ts";
import { rememberFindings, resolveFindingAsDisabled, unresolvedFindings } from "../src/data/findings.ts";
import { scanHousekeeping } from "../src/data/health.ts";
import { setIntegrationStatus } from "../src/data/integration-status.ts";
import { openIncidentMembership } from "../src/data/incidents.ts";
import { describeIntegrationsByIds } from "../src/data/integrations.ts";
import { autoDisableDue, daysBetween, housekeepingRules, type HousekeepingRules } from "../src/domain/housekeeping.ts";
import { evaluateFindings, MAX_DETAILED_FINDINGS, reportView, type EvaluatedFinding } from "../src/housekeeping/report.ts";
import { log } from "../src/log.ts";
import { presentAutoDisabled, presentAutoDisableSpared, presentHousekeepingReport, type AutoDisabled, type AutoDisableSpared } from "../src/slack/presenters/housekeeping-report.ts";
import type { Job, JobContext, JobSummary } from "./job.ts";

/** The job's name, as `embedops job` and the audit log know it. */
const HOUSEKEEPING_JOB = "housekeeping-report";

/** Where a dry run or the local console "posts" when HOUSEKEEPING_CHANNEL is unset, so the report can still be read. */
const PLACEHOLDER_CHANNEL = "HOUSEKEEPING_CHANNEL";

/**
 * Remembers this report's findings: new ones (or ones that came back after being resolved) start afresh,
 * reported ones get their last-reported time, snoozed ones are left as they are (a snooze clicked meanwhile
 * is never overwritten), and open findings no longer present are resolved as recovered or disabled.
 */
async function remember(db: Database, findings: EvaluatedFinding[], now: Date): Promise<{ resolved: number }> {
  const present = new Set(findings.map((finding) => finding.health.integrationId));
  const gone = (await unresolvedFindings(db)).filter((finding) => !present.has(finding.integrationId));
  const reported = (finding: EvaluatedFinding) => ({ integrationId: finding.health.integrationId, kind: finding.kind, reason: finding.reason });
  await rememberFindings(
    db,
    {
      fresh: findings.filter((finding) => finding.state === "new").map(reported),
      seen: findings.filter((finding) => finding.state === "reported").map(reported),
      disabled: gone.filter((finding) => finding.integrationStatus !== "enabled").map((finding) => finding.integrationId),
      recovered: gone.filter((finding) => finding.integrationStatus === "enabled").map((finding) => finding.integrationId),
    },
    now,
  );
  return { resolved: gone.length };
}

/**
 * Disables the findings whose AUTO_DISABLE_AFTER_DAYS grace ran out (or, in a dry run, says which it would),
 * except failing ones whose failure belongs to an open incident: those are returned as spared.
 */
async function autoDisable(ctx: JobContext, findings: EvaluatedFinding[], rules: HousekeepingRules, now: Date): Promise<{ disabled: AutoDisabled[]; spared: AutoDisableSpared[] }> {
  // Overdue is a warning, not a reason to stop paying: only failing and stale findings are disabled.
  const due = findings.filter((finding) => finding.kind !== "overdue" && autoDisableDue(finding.health.stored, now, rules.autoDisableAfterDays));
  if (due.length === 0) return { disabled: [], spared: [] };
  const rows = await describeIntegrationsByIds(ctx.runtime.db, due.map((finding) => finding.health.integrationId));
  const incidentOf = await openIncidentMembership(ctx.runtime.db, due.filter((finding) => finding.kind === "failing").map((finding) => finding.health.integrationId));
  const disabled: AutoDisabled[] = [];
  const spared: AutoDisableSpared[] = [];
  for (const finding of due) {
    const id = finding.health.integrationId;
    const incidentId = finding.kind === "failing" ? incidentOf.get(id) : undefined;
    if (incidentId) {
      const row = rows.get(id);
      spared.push({ integrationId: id, name: row?.name ?? id, groupName: row?.groupName ?? finding.health.groupId, incidentId });
      log.info({ integrationId: id, incidentId }, "auto-disable skipped: the failure belongs to an open incident");
      continue;
    }
    if (!ctx.dryRun) {
      const change = await setIntegrationStatus(ctx.runtime.db, {
        integrationId: id,
        status: "disabled",
        actor: ctx.actor,
        reason: `${finding.kind} for ${rules.autoDisableAfterDays} days after the housekeeping report named it: ${finding.reason}`,
        at: now,
      });
      if (!change.changed) continue;
      await resolveFindingAsDisabled(ctx.runtime.db, id, now);
      log.info({ integrationId: id, kind: finding.kind }, "integration disabled by the housekeeping report");
    }
    const row = rows.get(id);
    disabled.push({
      integrationId: id,
      name: row?.name ?? id,
      groupName: row?.groupName ?? finding.health.groupId,
      kind: finding.kind,
      reason: finding.reason,
      firstReportedDays: daysBetween(finding.health.stored!.firstReportedAt, now, ctx.runtime.config.timeZone),
    });
  }
  return { disabled, spared };
}

/** One firing of the report: scan, remember, auto-disable, post. */
async function perform(ctx: JobContext): Promise<JobSummary> {
  const { db, config } = ctx.runtime;
  const now = ctx.runtime.clock.now();
  const rules = housekeepingRules(config);
  const findings = evaluateFindings(await scanHousekeeping(db, { scope: { all: true }, now, rules, overdue: true }), now, config.timeZone);
  const { resolved } = ctx.dryRun ? { resolved: 0 } : await remember(db, findings, now);
  const { disabled, spared } = await autoDisable(ctx, findings, rules, now);
  const disabledIds = new Set(disabled.map((d) => d.integrationId));
  const view = await reportView(
    db,
    findings.filter((finding) => !disabledIds.has(finding.health.integrationId)),
    { rules, showButtons: () => true, detailLimit: MAX_DETAILED_FINDINGS },
  );
  const printsOnly = ctx.dryRun || slackMode(config) === "console";
  const channel = config.housekeepingChannel ?? (printsOnly ? PLACEHOLDER_CHANNEL : undefined);
  let posted = 0;
  if (!channel) {
    log.warn({ job: HOUSEKEEPING_JOB }, "HOUSEKEEPING_CHANNEL is not set: the report is not posted");
  } else {
    if (disabled.length && rules.autoDisableAfterDays !== undefined) {
      for (const doc of presentAutoDisabled(disabled, rules.autoDisableAfterDays)) {
        await ctx.messages.post(channel, doc);
        posted += 1;
      }
    }
    if (spared.length) {
      await ctx.messages.post(channel, presentAutoDisableSpared(spared));
      posted += 1;
    }
    // A report with nothing in it stays quiet: the channel hears only when there is something to do.
    if (view.findings.length) {
      const messages = presentHousekeepingReport(view);
      const summary = await ctx.messages.post(channel, messages.summary);
      posted += 1;
      for (const doc of messages.thread) {
        await ctx.messages.post(channel, doc, { threadTs: summary.ts });
        posted += 1;
      }
    }
  }
  const t = view.totals;
  const text =
    `${ctx.dryRun ? "[dry run] " : ""}housekeeping report: ${t.failing} failing, ${t.stale} stale (${t.newFindings} new), ` +
    `${view.snoozed} snoozed, ${resolved} resolved, ${disabled.length} ${ctx.dryRun ? "would be " : ""}auto-disabled` +
    (spared.length ? ` (${spared.length} spared: in an open incident)` : "") + "; " +
    `${t.runs30d} runs in 30 days ≈ ${t.cost.toFixed(2)} ${rules.currency}; ${posted} message(s) ${channel ? `to ${channel}` : "(HOUSEKEEPING_CHANNEL unset)"}`;
  return {
    text,
    counts: { failing: t.failing, stale: t.stale, new: t.newFindings, snoozed: view.snoozed, resolved, autoDisabled: disabled.length, sparedByIncidents: spared.length, runs30d: t.runs30d, messages: posted },
  };
}

/** `housekeeping-report`: the stale and failing integrations with their cost, Disable and Snooze, on HOUSEKEEPING_CRON. */
export const housekeepingReport: Job = {
  name: HOUSEKEEPING_JOB,
  description: "Post the failing and stale integrations, with why and what their runs cost, to HOUSEKEEPING_CHANNEL.",
  schedule: (runtime) => runtime.config.housekeepingCron,
  perform,
};
