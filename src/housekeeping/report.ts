import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import { scanHousekeeping, tallyHousekeeping } from "../data/health.ts";
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

/** What the report reads at one instant. */
interface ReportRead {
  scope: GroupScope;
  now: Date;
  rules: HousekeepingRules;
  timeZone: string;
}

/** The group order of the report: by name, then id. */
function byGroupName(a: { groupName: string; groupId: string }, b: { groupName: string; groupId: string }): number {
  return a.groupName.localeCompare(b.groupName) || a.groupId.localeCompare(b.groupId);
}

/**
 * Reads the report's view at one instant: totals and group lines summed in the database over every finding in
 * scope (snoozed ones only counted), and details (whole rows, names from the database) for the first
 * `detailLimit` in report order (group name, failing before stale before overdue, id). `withheld` findings (the
 * ones auto-disabled by this firing, reported apart) are left out of all of it.
 */
export async function readReport(
  db: Database,
  read: ReportRead,
  options: { showButtons: (groupId: string) => boolean; scopeNote?: string; detailLimit?: number; withheld?: readonly EvaluatedFinding[] },
): Promise<HousekeepingReportView> {
  const { rules, now } = read;
  const scan = { scope: read.scope, now, rules, overdue: true };
  const tally = await tallyHousekeeping(db, scan);
  const withheld = new Set<string>();
  for (const finding of options.withheld ?? []) {
    withheld.add(finding.health.integrationId);
    const entry = tally.find((t) => t.groupId === finding.health.groupId && t.kind === finding.kind && t.state === finding.state);
    if (!entry) continue;
    entry.count -= 1;
    entry.runs30d -= finding.health.runs30d;
  }
  const shown = tally.filter((entry) => entry.state !== "snoozed" && entry.count > 0);
  const groupRows = new Map((await groupsByIds(db, shown.map((entry) => entry.groupId))).map((group) => [group.id, group]));
  const price = rules.pricePerRun;
  const groups = new Map<string, ReportGroup>();
  for (const entry of shown) {
    const id = entry.groupId;
    const group = groups.get(id) ?? { groupId: id, groupName: groupRows.get(id)?.name ?? id, groupKind: groupRows.get(id)?.kind ?? "group", failing: 0, stale: 0, overdue: 0, runs30d: 0, cost: 0 };
    group[entry.kind] += entry.count;
    group.runs30d += entry.runs30d;
    group.cost = runsCost(group.runs30d, price);
    groups.set(id, group);
  }
  const ordered = [...groups.values()].sort(byGroupName);
  const findings = await detailedFindings(db, read, ordered, withheld, options.detailLimit ?? Number.POSITIVE_INFINITY);
  const rows = await describeIntegrationsByIds(db, findings.map((finding) => finding.health.integrationId));
  const reportFindings: ReportFinding[] = [];
  for (const finding of findings) {
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
  const shownCount = shown.reduce((sum, entry) => sum + entry.count, 0);
  return {
    findings: reportFindings,
    groups: ordered,
    totals: reportTotals(shown.map((entry) => ({ kind: entry.kind, runs30d: entry.runs30d, isNew: entry.state === "new", count: entry.count })), price),
    omitted: shownCount - reportFindings.length,
    currency: rules.currency,
    priced: price > 0,
    snoozed: tally.filter((entry) => entry.state === "snoozed").reduce((sum, entry) => sum + entry.count, 0),
    autoDisableAfterDays: rules.autoDisableAfterDays,
    scopeNote: options.scopeNote,
  };
}

/** The first `limit` unsnoozed findings in report order, group by group, whole, leaving out `withheld`. */
async function detailedFindings(db: Database, read: ReportRead, groups: readonly ReportGroup[], withheld: ReadonlySet<string>, limit: number): Promise<EvaluatedFinding[]> {
  const out: EvaluatedFinding[] = [];
  for (const group of groups) {
    if (out.length >= limit) break;
    const want = group.failing + group.stale + group.overdue;
    const healths = await scanHousekeeping(db, {
      scope: { all: false, groupIds: [group.groupId] },
      now: read.now,
      rules: read.rules,
      overdue: true,
      unsnoozed: true,
      refreshed: true,
      // Withheld findings come back too and are dropped here: ask for enough to fill the rest.
      limit: Number.isFinite(limit) ? Math.min(want, limit - out.length) + withheld.size : undefined,
    });
    const kept = healths.filter((health) => !withheld.has(health.integrationId));
    out.push(...evaluateFindings(kept, read.now, read.timeZone).slice(0, limit - out.length));
  }
  return out;
}

/** The report for one scope at `now`, changing nothing: what `stale` answers. */
export async function housekeepingReportFor(
  runtime: { db: Database; config: Config },
  scope: GroupScope,
  now: Date,
  options: { showButtons: (groupId: string) => boolean; scopeNote?: string; detailLimit?: number },
): Promise<HousekeepingReportView> {
  return readReport(runtime.db, { scope, now, rules: housekeepingRules(runtime.config), timeZone: runtime.config.timeZone }, options);
}
