import { Op } from "sequelize";
import { slackMode } from "../src/config.ts";
import type { Database } from "../src/data/database.ts";
import { setIntegrationStatus } from "../src/data/integration-status.ts";
import { openFindings, scanHousekeeping } from "../src/data/health.ts";
import { describeIntegrations, type IntegrationRow } from "../src/data/integrations.ts";
import {
  autoDisableDue,
  daysBetween,
  findingKind,
  findingReason,
  findingState,
  housekeepingRules,
  reportTotals,
  runsCost,
  type HousekeepingRules,
  type IntegrationHealth,
} from "../src/domain/housekeeping.ts";
import type { GroupScope } from "../src/domain/permissions.ts";
import { log } from "../src/log.ts";
import type { Runtime } from "../src/runtime.ts";
import {
  presentAutoDisabled,
  presentHousekeepingReport,
  type AutoDisabled,
  type HousekeepingReportView,
  type ReportFinding,
  type ReportGroup,
} from "../src/slack/presenters/housekeeping-report.ts";
import type { Job, JobContext, JobSummary } from "./job.ts";

/** The job's name, as `embedops job` and the audit log know it. */
export const HOUSEKEEPING_JOB = "housekeeping-report";

/** Where a dry run or the local console "posts" when HOUSEKEEPING_CHANNEL is unset, so the report can still be read. */
const PLACEHOLDER_CHANNEL = "HOUSEKEEPING_CHANNEL";

/** Integrations described per query, to keep IN lists short. */
const DESCRIBE_CHUNK = 1000;

async function describeByIds(db: Database, ids: string[]): Promise<Map<string, IntegrationRow>> {
  const out = new Map<string, IntegrationRow>();
  for (let i = 0; i < ids.length; i += DESCRIBE_CHUNK) {
    const integrations = await db.models.Integration.findAll({ where: { id: { [Op.in]: ids.slice(i, i + DESCRIBE_CHUNK) } } });
    for (const row of await describeIntegrations(db, integrations)) out.set(row.id, row);
  }
  return out;
}

/** One evaluated finding: the scan's facts and how the report words them. */
export interface EvaluatedFinding {
  health: IntegrationHealth;
  kind: "failing" | "stale";
  reason: string;
  state: "new" | "reported" | "snoozed";
}

/** Applies the pure rules to the scan: kind, reason in words, and where each finding stands. */
export function evaluateFindings(healths: IntegrationHealth[], now: Date, timeZone = "UTC"): EvaluatedFinding[] {
  return healths.map((health) => ({ health, kind: findingKind(health), reason: findingReason(health, now, timeZone), state: findingState(health.stored, now) }));
}

/** The channel report details at most this many findings (about ten thread messages); the totals count them all. */
export const MAX_DETAILED_FINDINGS = 200;

/**
 * Builds the report's view from evaluated findings (snoozed ones only counted): totals and group lines over all
 * of them, details (names from the database) for the first `detailLimit` in report order.
 */
export async function reportView(
  db: Database,
  findings: EvaluatedFinding[],
  options: { rules: HousekeepingRules; showButtons: (groupId: string) => boolean; scopeNote?: string; detailLimit?: number },
): Promise<HousekeepingReportView> {
  const shown = findings.filter((finding) => finding.state !== "snoozed");
  const groupRows = await db.models.Group.findAll({ where: { id: { [Op.in]: [...new Set(shown.map((f) => f.health.groupId))] } }, attributes: ["id", "name", "kind"] });
  const groupById = new Map(groupRows.map((group) => [group.id, group]));
  const groupName = (id: string) => groupById.get(id)?.name ?? id;
  const kindOrder = (kind: string) => (kind === "failing" ? 0 : 1);
  shown.sort(
    (a, b) =>
      groupName(a.health.groupId).localeCompare(groupName(b.health.groupId)) ||
      a.health.groupId.localeCompare(b.health.groupId) ||
      kindOrder(a.kind) - kindOrder(b.kind) ||
      a.health.integrationId.localeCompare(b.health.integrationId),
  );
  const price = options.rules.pricePerRun;
  const groups = new Map<string, ReportGroup>();
  for (const finding of shown) {
    const id = finding.health.groupId;
    const group = groups.get(id) ?? { groupId: id, groupName: groupName(id), groupKind: groupById.get(id)?.kind ?? "group", failing: 0, stale: 0, runs30d: 0, cost: 0 };
    if (finding.kind === "failing") group.failing += 1;
    else group.stale += 1;
    group.runs30d += finding.health.runs30d;
    group.cost = runsCost(group.runs30d, price);
    groups.set(id, group);
  }
  const detailed = shown.slice(0, options.detailLimit ?? shown.length);
  const rows = await describeByIds(db, detailed.map((finding) => finding.health.integrationId));
  const reportFindings: ReportFinding[] = [];
  for (const finding of detailed) {
    const row = rows.get(finding.health.integrationId);
    if (!row) continue;
    reportFindings.push({
      integrationId: row.id,
      name: row.name,
      flowName: row.flowName,
      flowUrl: row.flowUrl,
      groupId: row.groupId,
      groupName: row.groupName,
      groupKind: row.groupKind,
      configurationId: row.configurationId,
      configurationName: row.configurationName,
      accountId: row.embedAccountId,
      userId: row.embedUserId,
      kind: finding.kind,
      reason: finding.reason,
      runs30d: finding.health.runs30d,
      cost: runsCost(finding.health.runs30d, price),
      isNew: finding.state === "new",
      showButtons: options.showButtons(row.groupId),
    });
  }
  return {
    findings: reportFindings,
    groups: [...groups.values()],
    totals: reportTotals(shown.map((f) => ({ kind: f.kind, runs30d: f.health.runs30d, isNew: f.state === "new" })), price),
    omitted: shown.length - reportFindings.length,
    currency: options.rules.currency,
    priced: price > 0,
    snoozed: findings.length - shown.length,
    autoDisableAfterDays: options.rules.autoDisableAfterDays,
    scopeNote: options.scopeNote,
  };
}

/** The report for one scope at `now`, changing nothing: what `stale` answers. */
export async function housekeepingReportFor(
  runtime: Pick<Runtime, "db" | "config">,
  scope: GroupScope,
  now: Date,
  options: { showButtons: (groupId: string) => boolean; scopeNote?: string; detailLimit?: number },
): Promise<HousekeepingReportView> {
  const rules = housekeepingRules(runtime.config);
  const findings = evaluateFindings(await scanHousekeeping(runtime.db, { scope, now, rules }), now, runtime.config.timeZone);
  return reportView(runtime.db, findings, { rules, ...options });
}

/**
 * Remembers this report's findings: new ones (or ones that came back after being resolved) start afresh,
 * reported ones get their last-reported time, snoozed ones are left as they are (a snooze clicked meanwhile
 * is never overwritten), and open findings no longer present are resolved as recovered or disabled.
 */
async function rememberFindings(db: Database, findings: EvaluatedFinding[], now: Date): Promise<{ resolved: number }> {
  const present = new Set(findings.map((finding) => finding.health.integrationId));
  const open = await openFindings(db);
  const gone = open.filter((finding) => !present.has(finding.integrationId));
  await db.sequelize.transaction(async (transaction) => {
    const fresh = findings.filter((finding) => finding.state === "new");
    const seen = findings.filter((finding) => finding.state === "reported");
    const row = (finding: EvaluatedFinding) => ({
      integrationId: finding.health.integrationId,
      kind: finding.kind,
      reason: finding.reason,
      firstReportedAt: now,
      lastReportedAt: now,
      snoozedUntil: null,
      snoozedBy: null,
      resolvedAt: null,
      resolution: null,
      createdAt: now,
      updatedAt: now,
    });
    const CHUNK = 1000;
    for (let i = 0; i < fresh.length; i += CHUNK) {
      await db.models.HousekeepingFinding.bulkCreate(fresh.slice(i, i + CHUNK).map(row), {
        transaction,
        updateOnDuplicate: ["kind", "reason", "firstReportedAt", "lastReportedAt", "snoozedUntil", "snoozedBy", "resolvedAt", "resolution", "updatedAt"],
      });
    }
    for (let i = 0; i < seen.length; i += CHUNK) {
      await db.models.HousekeepingFinding.bulkCreate(seen.slice(i, i + CHUNK).map(row), {
        transaction,
        updateOnDuplicate: ["kind", "reason", "lastReportedAt", "updatedAt"],
      });
    }
    const disabled = gone.filter((finding) => finding.integrationStatus !== "enabled").map((finding) => finding.integrationId);
    const recovered = gone.filter((finding) => finding.integrationStatus === "enabled").map((finding) => finding.integrationId);
    for (const [ids, resolution] of [[disabled, "disabled"], [recovered, "recovered"]] as const) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await db.models.HousekeepingFinding.update(
          { resolvedAt: now, resolution, updatedAt: now },
          { where: { integrationId: { [Op.in]: ids.slice(i, i + CHUNK) }, resolvedAt: null }, transaction },
        );
      }
    }
  });
  return { resolved: gone.length };
}

/** Disables the findings whose AUTO_DISABLE_AFTER_DAYS grace ran out (or, in a dry run, says which it would). */
async function autoDisable(ctx: JobContext, findings: EvaluatedFinding[], rules: HousekeepingRules, now: Date): Promise<AutoDisabled[]> {
  const due = findings.filter((finding) => autoDisableDue(finding.health.stored, now, rules.autoDisableAfterDays));
  if (due.length === 0) return [];
  const rows = await describeByIds(ctx.runtime.db, due.map((finding) => finding.health.integrationId));
  const disabled: AutoDisabled[] = [];
  for (const finding of due) {
    const id = finding.health.integrationId;
    if (!ctx.dryRun) {
      const change = await setIntegrationStatus(ctx.runtime.db, {
        integrationId: id,
        status: "disabled",
        actor: ctx.actor,
        reason: `${finding.kind} for ${rules.autoDisableAfterDays} days after the housekeeping report named it: ${finding.reason}`,
        at: now,
      });
      if (!change.changed) continue;
      await ctx.runtime.db.models.HousekeepingFinding.update({ resolvedAt: now, resolution: "disabled", updatedAt: now }, { where: { integrationId: id } });
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
  return disabled;
}

/** One firing of the report: scan, remember, auto-disable, post. */
async function perform(ctx: JobContext): Promise<JobSummary> {
  const { db, config } = ctx.runtime;
  const now = ctx.runtime.clock.now();
  const rules = housekeepingRules(config);
  const findings = evaluateFindings(await scanHousekeeping(db, { scope: { all: true }, now, rules }), now, config.timeZone);
  const { resolved } = ctx.dryRun ? { resolved: 0 } : await rememberFindings(db, findings, now);
  const disabled = await autoDisable(ctx, findings, rules, now);
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
    `${view.snoozed} snoozed, ${resolved} resolved, ${disabled.length} ${ctx.dryRun ? "would be " : ""}auto-disabled; ` +
    `${t.runs30d} runs in 30 days ≈ ${t.cost.toFixed(2)} ${rules.currency}; ${posted} message(s) ${channel ? `to ${channel}` : "(HOUSEKEEPING_CHANNEL unset)"}`;
  return {
    text,
    counts: { failing: t.failing, stale: t.stale, new: t.newFindings, snoozed: view.snoozed, resolved, autoDisabled: disabled.length, runs30d: t.runs30d, messages: posted },
  };
}

/** `housekeeping-report`: the stale and failing integrations with their cost, Disable and Snooze, on HOUSEKEEPING_CRON. */
export const housekeepingReport: Job = {
  name: HOUSEKEEPING_JOB,
  description: "Post the failing and stale integrations, with why and what their runs cost, to HOUSEKEEPING_CHANNEL.",
  schedule: (runtime) => runtime.config.housekeepingCron,
  perform,
};
