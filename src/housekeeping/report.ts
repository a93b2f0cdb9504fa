import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import { scanHousekeeping } from "../data/health.ts";
import { describeIntegrationsByIds } from "../data/integrations.ts";
import { groupsByIds } from "../data/operators.ts";
import {
  findingKind,
  findingReason,
  findingState,
  housekeepingRules,
  reportTotals,
  runsCost,
  type FindingKind,
  type HousekeepingRules,
  type IntegrationHealth,
} from "../domain/housekeeping.ts";
import type { GroupScope } from "../domain/permissions.ts";
import type { HousekeepingReportView, ReportFinding, ReportGroup } from "../slack/presenters/housekeeping-report.ts";

/** One evaluated finding: the scan's facts and how the report words them. */
export interface EvaluatedFinding {
  health: IntegrationHealth;
  kind: FindingKind;
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
  // Stays long: sort, group totals and details are one pass over the same findings in report order.
  const shown = findings.filter((finding) => finding.state !== "snoozed");
  const groupRows = await groupsByIds(db, shown.map((f) => f.health.groupId));
  const groupById = new Map(groupRows.map((group) => [group.id, group]));
  const groupName = (id: string) => groupById.get(id)?.name ?? id;
  const kindOrder = (kind: string) => ["failing", "stale", "overdue"].indexOf(kind);
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
    const group = groups.get(id) ?? { groupId: id, groupName: groupName(id), groupKind: groupById.get(id)?.kind ?? "group", failing: 0, stale: 0, overdue: 0, runs30d: 0, cost: 0 };
    group[finding.kind] += 1;
    group.runs30d += finding.health.runs30d;
    group.cost = runsCost(group.runs30d, price);
    groups.set(id, group);
  }
  const detailed = shown.slice(0, options.detailLimit ?? shown.length);
  const rows = await describeIntegrationsByIds(db, detailed.map((finding) => finding.health.integrationId));
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
  runtime: { db: Database; config: Config },
  scope: GroupScope,
  now: Date,
  options: { showButtons: (groupId: string) => boolean; scopeNote?: string; detailLimit?: number },
): Promise<HousekeepingReportView> {
  const rules = housekeepingRules(runtime.config);
  const findings = evaluateFindings(await scanHousekeeping(runtime.db, { scope, now, rules, overdue: true }), now, runtime.config.timeZone);
  return reportView(runtime.db, findings, { rules, ...options });
}
