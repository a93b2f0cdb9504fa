import { QueryTypes, type Transaction } from "sequelize";
import {
  housekeepingCutoffs,
  RATE_MIN_RUNS,
  rateBasisPoints,
  type FindingKind,
  type HousekeepingRules,
  type IntegrationHealth,
  type StoredFinding,
} from "../domain/housekeeping.ts";
import type { GroupScope } from "../domain/permissions.ts";
import type { Database } from "./database.ts";

/** What the housekeeping scan looks at: a permission scope, and optionally only some integrations. */
interface HousekeepingScan {
  scope: GroupScope;
  now: Date;
  rules: Pick<HousekeepingRules, "staleAfterDays" | "failingAfterErrors" | "failingErrorRate">;
  /** Only these integrations (snooze checks one). */
  integrationIds?: string[];
}

/** SQLite hands dates back as text, PostgreSQL as Date. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

function toNumber(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/**
 * The error-rate rule as SQL: the enabled integrations (not already failing by their streak) with at least
 * RATE_MIN_RUNS runs since :rateSince of which the share :rateBp / 10000 failed. Such an integration has at least
 * :minErrors = ⌈rate × RATE_MIN_RUNS⌉ failed runs in the window, so the failed runs are grouped first (the partial
 * index flow_runs_errors_started holds only those) and all runs are counted only for the few that qualify,
 * through the (integration_id, started_at) index. Flow runs are counted, never loaded.
 * Uses the replacements :rateSince, :failingAfterErrors, :minRuns, :minErrors and :rateBp.
 */
function failingRateSql(dialect: Database["dialect"], scopeSql: (alias: string) => string): string {
  // SQLite would rather walk every run in (integration_id, started_at) order for the GROUP BY than use the
  // partial index of failed runs: 1.8 s against 0.14 s at 5M runs. PostgreSQL picks the partial index itself.
  const failedRuns = dialect === "sqlite" ? "flow_runs r INDEXED BY flow_runs_errors_started" : "flow_runs r";
  return `SELECT counted.integration_id, counted.runs, counted.errors FROM (
      SELECT e.integration_id AS integration_id, e.errors AS errors,
        (SELECT COUNT(*) FROM flow_runs a WHERE a.integration_id = e.integration_id AND a.started_at >= :rateSince) AS runs
      FROM (
        SELECT r.integration_id AS integration_id, COUNT(*) AS errors FROM ${failedRuns}
        WHERE r.status = 'error' AND r.started_at >= :rateSince
        GROUP BY r.integration_id HAVING COUNT(*) >= :minErrors
      ) e
      JOIN integrations ri ON ri.id = e.integration_id
      WHERE ri.status = 'enabled' AND ri.failures_in_row < :failingAfterErrors${scopeSql("ri")}
    ) counted
    WHERE counted.runs >= :minRuns AND counted.errors * 10000 >= :rateBp * counted.runs`;
}

/** The replacements the rule SQL uses. */
function ruleReplacements(scan: Pick<HousekeepingScan, "now" | "rules">) {
  const cutoffs = housekeepingCutoffs(scan.now, scan.rules);
  return {
    staleBefore: cutoffs.staleBefore,
    rateSince: cutoffs.rateSince,
    costSince: cutoffs.costSince,
    failingAfterErrors: scan.rules.failingAfterErrors,
    minRuns: RATE_MIN_RUNS,
    minErrors: Math.ceil((rateBasisPoints(scan.rules.failingErrorRate) * RATE_MIN_RUNS) / 10_000),
    rateBp: rateBasisPoints(scan.rules.failingErrorRate),
  };
}

/**
 * A subquery (for `id IN (…)`) of the integrations failing by the error-rate rule, with its values inlined:
 * what `list failing` adds to the streak rule so it names the same integrations as the report.
 */
export function failingRateSubquery(db: Database, now: Date, rules: HousekeepingScan["rules"]): string {
  const values = ruleReplacements({ now, rules });
  const sql = `SELECT integration_id FROM (${failingRateSql(db.dialect, () => "")}) failing_rate`;
  return `(${sql.replace(/:(\w+)/g, (match, name: string) => (name in values ? db.sequelize.escape(values[name as keyof typeof values] as never) : match))})`;
}

/**
 * The housekeeping scan, in one SQL statement over the integration rows: every enabled integration in scope
 * that is failing (FAILING_AFTER_ERRORS in a row, or the error-rate rule) or stale (no run for STALE_AFTER_DAYS,
 * or never ran and activated that long ago), with its runs in the last 30 days and its remembered finding.
 * Flow runs are only counted in SQL, never loaded. Ordered by group, then id.
 */
export async function scanHousekeeping(db: Database, scan: HousekeepingScan, transaction?: Transaction): Promise<IntegrationHealth[]> {
  if (!scan.scope.all && scan.scope.groupIds.length === 0) return [];
  if (scan.integrationIds && scan.integrationIds.length === 0) return [];
  const replacements: Record<string, unknown> = ruleReplacements(scan);
  if (!scan.scope.all) replacements.groupIds = scan.scope.groupIds;
  if (scan.integrationIds) replacements.integrationIds = scan.integrationIds;
  const scopeSql = (alias: string) =>
    (scan.scope.all ? "" : ` AND ${alias}.group_id IN (:groupIds)`) + (scan.integrationIds ? ` AND ${alias}.id IN (:integrationIds)` : "");
  const sql = `WITH failing_rate AS (${failingRateSql(db.dialect, scopeSql)})
    SELECT i.id, i.group_id, i.failures_in_row, i.latest_run_at, i.latest_run_error, i.last_success_at, i.created_at,
      fr.runs AS rate_runs, fr.errors AS rate_errors,
      (SELECT COUNT(*) FROM flow_runs c WHERE c.integration_id = i.id AND c.started_at >= :costSince) AS runs_30d,
      f.kind AS finding_kind, f.first_reported_at, f.last_reported_at, f.snoozed_until, f.snoozed_by, f.resolved_at
    FROM integrations i
    LEFT JOIN failing_rate fr ON fr.integration_id = i.id
    LEFT JOIN housekeeping_findings f ON f.integration_id = i.id
    WHERE i.status = 'enabled'${scopeSql("i")}
      AND (i.failures_in_row >= :failingAfterErrors
        OR i.latest_run_at <= :staleBefore
        OR (i.latest_run_at IS NULL AND i.created_at <= :staleBefore)
        OR fr.integration_id IS NOT NULL)
    ORDER BY i.group_id, i.id`;
  const run = async (t: Transaction) => {
    // PostgreSQL's JIT would spend about a second compiling a query that runs in a fraction of that.
    if (db.dialect === "postgres") await db.sequelize.query("SET LOCAL jit = off", { transaction: t });
    return db.sequelize.query<Record<string, unknown>>(sql, { replacements, type: QueryTypes.SELECT, transaction: t });
  };
  const rows = transaction ? await run(transaction) : db.dialect === "postgres" ? await db.sequelize.transaction(run) : await db.sequelize.query<Record<string, unknown>>(sql, { replacements, type: QueryTypes.SELECT });
  const { staleBefore } = housekeepingCutoffs(scan.now, scan.rules);
  return rows.map((row) => healthFromRow(row, scan.rules, staleBefore));
}

/** One row of the scan as the housekeeping rules read it. */
function healthFromRow(row: Record<string, unknown>, rules: HousekeepingScan["rules"], staleBefore: Date): IntegrationHealth {
  const latestRunAt = toDate(row.latest_run_at);
  const activatedAt = toDate(row.created_at)!;
  const failuresInRow = toNumber(row.failures_in_row);
  const firstReportedAt = toDate(row.first_reported_at);
  const stored: StoredFinding | null =
    row.finding_kind && firstReportedAt
      ? {
          kind: row.finding_kind as FindingKind,
          firstReportedAt,
          lastReportedAt: toDate(row.last_reported_at) ?? firstReportedAt,
          snoozedUntil: toDate(row.snoozed_until),
          snoozedBy: (row.snoozed_by as string | null) ?? null,
          resolvedAt: toDate(row.resolved_at),
        }
      : null;
  return {
    integrationId: String(row.id),
    groupId: String(row.group_id),
    failuresInRow,
    latestRunAt,
    latestRunError: (row.latest_run_error as string | null) ?? null,
    lastSuccessAt: toDate(row.last_success_at),
    activatedAt,
    failingStreak: failuresInRow >= rules.failingAfterErrors,
    failingRate: row.rate_runs === null || row.rate_runs === undefined ? null : { runs: toNumber(row.rate_runs), errors: toNumber(row.rate_errors) },
    // The same comparison the SQL made, repeated on the row to say which rule matched.
    stale: latestRunAt ? latestRunAt.getTime() <= staleBefore.getTime() : activatedAt.getTime() <= staleBefore.getTime(),
    runs30d: toNumber(row.runs_30d),
    stored,
  };
}
