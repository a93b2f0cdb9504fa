import { col, fn, literal, Op, type WhereOptions } from "sequelize";
import type { GroupScope } from "../domain/permissions.ts";
import type { Database } from "./database.ts";
import type { FindingKind, IntegrationStatus, RunStatus } from "./models/index.ts";
import { refreshDueHealth } from "./health.ts";
import { describeIntegrations, scopeWhere, type HealthRules, type IntegrationRow } from "./integrations.ts";

/** How many integrations there are by status and by latest run, within a scope. */
interface IntegrationCounts {
  total: number;
  byStatus: Record<IntegrationStatus, number>;
  /** `none`: never ran. */
  byLatestRun: Record<RunStatus | "none", number>;
}

/** Counts integrations by status and latest run in one GROUP BY query over the scope. */
export async function integrationCounts(db: Database, scope: GroupScope): Promise<IntegrationCounts> {
  const rows = (await db.models.Integration.findAll({
    where: scopeWhere(scope),
    attributes: ["status", "latestRunStatus", [fn("COUNT", col("id")), "count"]],
    group: ["status", "latest_run_status"],
    raw: true,
  })) as unknown as Array<{ status: IntegrationStatus; latestRunStatus: RunStatus | null; count: number | string }>;
  const counts: IntegrationCounts = {
    total: 0,
    byStatus: { enabled: 0, disabled: 0 },
    byLatestRun: { success: 0, error: 0, running: 0, retrying: 0, none: 0 },
  };
  for (const row of rows) {
    const count = Number(row.count);
    counts.total += count;
    if (row.status in counts.byStatus) counts.byStatus[row.status] += count;
    const latest = row.latestRunStatus ?? "none";
    if (latest in counts.byLatestRun) counts.byLatestRun[latest] += count;
  }
  return counts;
}

/** Some rows and how many there are in all. */
interface Sample<T> {
  rows: T[];
  total: number;
}

/** Enabled integrations that are failing (the kept verdict), most recent run first, within a scope (the caller's run scope). */
export async function failingIntegrations(db: Database, scope: GroupScope, rules: HealthRules, limit: number): Promise<Sample<IntegrationRow>> {
  await refreshDueHealth(db, rules, rules.now);
  const where: WhereOptions = { [Op.and]: [scopeWhere(scope), { status: "enabled", health: "failing" }] };
  const [found, total] = await Promise.all([
    db.models.Integration.findAll({ where, order: [["latestRunAt", "DESC"], ["id", "DESC"]], limit }),
    db.models.Integration.count({ where }),
  ]);
  return { rows: await describeIntegrations(db, found), total };
}

/** A housekeeping finding that is still open, with its integration. */
interface OpenFinding {
  integration: IntegrationRow;
  kind: FindingKind;
  reason: string;
  firstReportedAt: Date;
  lastReportedAt: Date;
}

/**
 * The latest housekeeping findings still open (not resolved, not snoozed at `now`) on enabled integrations
 * within a scope, most recently reported first.
 */
export async function openFindings(db: Database, scope: GroupScope, now: Date, limit: number): Promise<Sample<OpenFinding>> {
  // Group ids are bound parameters ($g0, $g1, …), never text in the statement.
  const bind: Record<string, string> = scope.all ? {} : Object.fromEntries(scope.groupIds.map((id, i) => [`g${i}`, id]));
  const names = Object.keys(bind).map((name) => `$${name}`);
  const groups = scope.all ? "" : ` AND group_id IN (${names.length ? names.join(", ") : "NULL"})`;
  const where: WhereOptions = {
    resolvedAt: null,
    [Op.or]: [{ snoozedUntil: null }, { snoozedUntil: { [Op.lte]: now } }],
    integrationId: { [Op.in]: literal(`(SELECT id FROM integrations WHERE status = 'enabled'${groups})`) },
  };
  const countOptions = { where, bind };
  const [findings, total] = await Promise.all([
    db.models.HousekeepingFinding.findAll({ where, bind, order: [["lastReportedAt", "DESC"], ["integrationId", "ASC"]], limit }),
    // count passes `bind` on to the statement as findAll does; its option type just does not name it.
    db.models.HousekeepingFinding.count(countOptions),
  ]);
  const integrations = await db.models.Integration.findAll({ where: { id: findings.map((finding) => finding.integrationId) } });
  const rows = new Map((await describeIntegrations(db, integrations)).map((row) => [row.id, row]));
  return {
    rows: findings.flatMap((finding) => {
      const integration = rows.get(finding.integrationId);
      return integration
        ? [{ integration, kind: finding.kind, reason: finding.reason, firstReportedAt: finding.firstReportedAt, lastReportedAt: finding.lastReportedAt }]
        : [];
    }),
    total,
  };
}
