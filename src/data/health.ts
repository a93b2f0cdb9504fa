import { QueryTypes, type Transaction } from "sequelize";
import { DEFAULT_THRESHOLDS, GAP_RUNS, healthVerdict, medianGap, rateRuleMatches, rateSince, thresholdsKey, type HealthThresholds, type HealthVerdict } from "../domain/health.ts";
import {
  housekeepingCutoffs,
  type FindingKind,
  type HousekeepingRules,
  type IntegrationHealth,
  type StoredFinding,
} from "../domain/housekeeping.ts";
import type { GroupScope } from "../domain/permissions.ts";
import type { Database } from "./database.ts";
import { nextDayStart, runDay } from "./run-days.ts";

/** What the housekeeping scan looks at: a permission scope, and optionally only some integrations. */
interface HousekeepingScan {
  scope: GroupScope;
  now: Date;
  rules: HealthThresholds;
  /** Also the overdue ones (the report names them; a scan for failing and stale alone leaves them out). */
  overdue?: boolean;
  /** Only these integrations (snooze checks one). */
  integrationIds?: string[];
  /** Leave out the findings snoozed at `now`. */
  unsnoozed?: boolean;
  /** Only the findings AUTO_DISABLE_AFTER_DAYS (this many days) disables now: reported, not snoozed, grace over, not overdue. */
  autoDisableAfterDays?: number;
  /** At most this many, in the scan's order. */
  limit?: number;
  /** The caller refreshed the due verdicts already (at the same `now`). */
  refreshed?: boolean;
}

/** How a finding stands against its remembered row, in SQL (`f`): see findingState in the domain. */
const FINDING_STATE_SQL = "CASE WHEN f.integration_id IS NULL OR f.resolved_at IS NOT NULL THEN 'new' WHEN f.snoozed_until > :now THEN 'snoozed' ELSE 'reported' END";

/** The scan's WHERE over integrations (`i`) and their remembered findings (`f`), with what it binds. */
function scanFilter(scan: HousekeepingScan): { sql: string; replacements: Record<string, unknown> } {
  const replacements: Record<string, unknown> = { now: scan.now };
  let sql = `i.health IN ('failing', 'stale'${scan.overdue ? ", 'overdue'" : ""}) AND i.status = 'enabled'`;
  if (!scan.scope.all) {
    sql += " AND i.group_id IN (:groupIds)";
    replacements.groupIds = scan.scope.groupIds;
  }
  if (scan.integrationIds) {
    sql += " AND i.id IN (:integrationIds)";
    replacements.integrationIds = scan.integrationIds;
  }
  if (scan.unsnoozed) sql += ` AND ${FINDING_STATE_SQL} <> 'snoozed'`;
  if (scan.autoDisableAfterDays !== undefined) {
    // autoDisableDue in SQL: the grace counts from the first report, or from a snooze's end when that is later.
    sql += ` AND ${FINDING_STATE_SQL} = 'reported' AND i.health <> 'overdue' AND f.first_reported_at <= :graceStart AND (f.snoozed_until IS NULL OR f.snoozed_until <= :graceStart)`;
    replacements.graceStart = new Date(scan.now.getTime() - scan.autoDisableAfterDays * 86_400_000);
  }
  return { sql, replacements };
}

/** The runs windows the scan sums, as replacements (`:costSince`, `:costDay`, `:costDayEnd`, and the same for `rate`). */
function windowReplacements(now: Date, rules: HealthThresholds): Record<string, unknown> {
  const cutoffs = housekeepingCutoffs(now, rules);
  const out: Record<string, unknown> = {};
  for (const [name, since] of [["cost", cutoffs.costSince], ["rate", cutoffs.rateSince]] as const) {
    Object.assign(out, { [`${name}Since`]: since, [`${name}Day`]: runDay(since), [`${name}DayEnd`]: nextDayStart(since) });
  }
  return out;
}

/** Runs a scan's statements, one after another; on PostgreSQL inside one transaction with JIT off (see scanHousekeeping). */
async function readScan(db: Database, statements: string[], replacements: Record<string, unknown>, transaction?: Transaction): Promise<Array<Array<Record<string, unknown>>>> {
  const read = async (t?: Transaction) => {
    // PostgreSQL's JIT compiles these statements (their cost estimate grows with the findings) for longer than it
    // saves: off for the statement's transaction.
    if (db.dialect === "postgres") await db.sequelize.query("SET LOCAL jit = off", { transaction: t });
    const out: Array<Array<Record<string, unknown>>> = [];
    for (const sql of statements) out.push(await db.sequelize.query<Record<string, unknown>>(sql, { replacements, type: QueryTypes.SELECT, transaction: t }));
    return out;
  };
  return transaction || db.dialect !== "postgres" ? read(transaction) : db.sequelize.transaction(read);
}

/** SQLite hands dates back as text, PostgreSQL as Date. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

function toNumber(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** What the health routines need of a database: its Sequelize instance and dialect (a migration's fits too). */
type HealthDb = Pick<Database, "sequelize" | "dialect">;

type Row = Record<string, unknown>;

/** A list of SQL literals for `IN (…)`: literals, not bind parameters, as in src/data/flow-runs.ts. */
function literals(db: HealthDb, values: readonly unknown[]): string {
  return `(${values.map((value) => db.sequelize.escape(value as string)).join(", ")})`;
}

/** Ids recomputed per statement. */
const HEALTH_BATCH = 1000;

/** The kept columns of one integration's health. */
interface KeptHealth {
  health: HealthVerdict | null;
  reason: string | null;
  since: Date | null;
  dueAt: Date | null;
  at: Date | null;
  medianGapMs: number | null;
  gapRuns: number | null;
}

/** The last GAP_RUNS run starts of each integration: the runs at or after its GAP_RUNS-th latest start. */
async function lastRunStarts(db: HealthDb, ids: string[], transaction?: Transaction): Promise<Map<string, Date[]>> {
  const out = new Map<string, Date[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const values = ids.map((id) => `(${db.sequelize.escape(id)})`).join(", ");
  const rows = await db.sequelize.query<Row>(
    `WITH ids (id) AS (VALUES ${values}),
     cut AS (SELECT ids.id AS id, (SELECT x.started_at FROM flow_runs x WHERE x.integration_id = ids.id ORDER BY x.started_at DESC LIMIT 1 OFFSET ${GAP_RUNS - 1}) AS cutoff FROM ids)
     SELECT r.integration_id, r.started_at FROM cut JOIN flow_runs r ON r.integration_id = cut.id AND (cut.cutoff IS NULL OR r.started_at >= cut.cutoff)`,
    { type: QueryTypes.SELECT, transaction },
  );
  for (const row of rows) out.get(String(row.integration_id))?.push(toDate(row.started_at)!);
  for (const [id, starts] of out) out.set(id, starts.sort((a, b) => b.getTime() - a.getTime()).slice(0, GAP_RUNS));
  return out;
}

function sameTime(a: Date | null, b: Date | null): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

/**
 * Recomputes the kept verdict of these integrations at `now` from their row, their flow's trigger and their runs
 * (counted in the rate window through the (integration_id, started_at) index), and writes the rows whose verdict,
 * reason, since, due time or gaps changed. The gaps of the last runs are read again for `gapIds` (integrations that
 * got a new run) and for rows that never had them counted. Returns how many rows it wrote.
 */
export async function refreshHealthOf(
  db: HealthDb,
  ids: readonly string[],
  now: Date,
  rules: HealthThresholds,
  options: { gapIds?: ReadonlySet<string>; transaction?: Transaction } = {},
): Promise<number> {
  if (ids.length === 0) return 0;
  const { transaction } = options;
  const list = literals(db, ids);
  const [rows, counts] = await Promise.all([
    db.sequelize.query<Row>(
      `SELECT i.id, i.failures_in_row, i.failing_since, i.latest_run_at, i.created_at, i.health, i.health_reason, i.health_since, i.health_due_at,
         i.health_at, i.median_gap_ms, i.gap_runs, f."trigger" AS flow_trigger
       FROM integrations i LEFT JOIN embed_flows f ON f.id = i.flow_id WHERE i.id IN ${list}`,
      { type: QueryTypes.SELECT, transaction },
    ),
    db.sequelize.query<Row>(
      `SELECT integration_id, COUNT(*) AS runs, SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors, MIN(started_at) AS oldest
       FROM flow_runs WHERE integration_id IN ${list} AND started_at >= ${db.sequelize.escape(rateSince(now) as unknown as string)} GROUP BY integration_id`,
      { type: QueryTypes.SELECT, transaction },
    ),
  ]);
  const countOf = new Map(counts.map((row) => [String(row.integration_id), row]));
  const gapIds = rows.filter((row) => row.gap_runs === null || row.gap_runs === undefined || options.gapIds?.has(String(row.id))).map((row) => String(row.id));
  const starts = await lastRunStarts(db, gapIds, transaction);
  const changed: Array<{ id: string; kept: KeptHealth }> = [];
  for (const row of rows) {
    const id = String(row.id);
    const before: KeptHealth = {
      health: (row.health as HealthVerdict | null) ?? null,
      reason: (row.health_reason as string | null) ?? null,
      since: toDate(row.health_since),
      dueAt: toDate(row.health_due_at),
      at: toDate(row.health_at),
      medianGapMs: row.median_gap_ms === null || row.median_gap_ms === undefined ? null : Number(row.median_gap_ms),
      gapRuns: row.gap_runs === null || row.gap_runs === undefined ? null : Number(row.gap_runs),
    };
    const runStarts = starts.get(id);
    const medianGapMs = runStarts ? medianGap(runStarts) : before.medianGapMs;
    const gapRuns = runStarts ? runStarts.length : (before.gapRuns ?? 0);
    const count = countOf.get(id);
    const outcome = healthVerdict(
      {
        failuresInRow: toNumber(row.failures_in_row),
        failingSince: toDate(row.failing_since),
        runs7d: toNumber(count?.runs),
        errors7d: toNumber(count?.errors),
        oldestRun7dAt: toDate(count?.oldest),
        latestRunAt: toDate(row.latest_run_at),
        activatedAt: toDate(row.created_at)!,
        medianGapMs,
        gapRuns,
        scheduled: row.flow_trigger === "scheduler",
      },
      now,
      rules,
    );
    const since = before.health === outcome.verdict && before.since ? before.since : (outcome.since ?? now);
    const kept: KeptHealth = { health: outcome.verdict, reason: outcome.reason, since, dueAt: outcome.dueAt, at: now, medianGapMs, gapRuns };
    const same =
      kept.health === before.health && kept.reason === before.reason && sameTime(kept.since, before.since) && sameTime(kept.dueAt, before.dueAt) &&
      kept.medianGapMs === before.medianGapMs && kept.gapRuns === before.gapRuns;
    // A verdict computed at a later instant than this one (a clock set back) is rewritten, so it is not read again.
    if (!same || (before.at && before.at.getTime() > now.getTime())) changed.push({ id, kept });
  }
  await writeKeptHealth(db, changed, transaction);
  return changed.length;
}

/** Writes kept verdicts with one UPDATE … FROM (VALUES …) per batch. */
async function writeKeptHealth(db: HealthDb, changed: Array<{ id: string; kept: KeptHealth }>, transaction?: Transaction): Promise<void> {
  if (changed.length === 0) return;
  const pg = db.dialect === "postgres";
  const cast = (literal: string, type: string) => (pg ? `CAST(${literal} AS ${type})` : literal);
  const escape = (value: unknown) => db.sequelize.escape(value as string);
  const tuples = changed.map(({ id, kept }) =>
    `(${[
      escape(id),
      escape(kept.health),
      escape(kept.reason),
      cast(escape(kept.since), "TIMESTAMPTZ"),
      cast(escape(kept.dueAt), "TIMESTAMPTZ"),
      cast(escape(kept.at), "TIMESTAMPTZ"),
      cast(escape(kept.medianGapMs), "BIGINT"),
      cast(escape(kept.gapRuns), "INTEGER"),
    ].join(", ")})`,
  );
  await db.sequelize.query(
    `WITH kept (id, health, health_reason, health_since, health_due_at, health_at, median_gap_ms, gap_runs) AS (VALUES ${tuples.join(", ")})
     UPDATE integrations SET health = kept.health, health_reason = kept.health_reason, health_since = kept.health_since, health_due_at = kept.health_due_at,
       health_at = kept.health_at, median_gap_ms = kept.median_gap_ms, gap_runs = kept.gap_runs
     FROM kept WHERE integrations.id = kept.id`,
    { type: QueryTypes.UPDATE, transaction },
  );
}

/** The name of the one row of health_rules. */
const RULES_ROW = "current";

/** The thresholds the kept verdicts were computed with (the defaults when none are recorded). */
export async function keptThresholds(db: HealthDb, transaction?: Transaction): Promise<HealthThresholds> {
  const [row] = await db.sequelize.query<Row>(`SELECT thresholds FROM health_rules WHERE name = '${RULES_ROW}'`, { type: QueryTypes.SELECT, transaction });
  if (!row) return DEFAULT_THRESHOLDS;
  const [staleAfterDays, failingAfterErrors, failingErrorRate, overdueFactor] = JSON.parse(String(row.thresholds)) as number[];
  return { staleAfterDays: staleAfterDays!, failingAfterErrors: failingAfterErrors!, failingErrorRate: failingErrorRate!, overdueFactor: overdueFactor! };
}

/** Records the thresholds the kept verdicts are computed with. */
async function recordThresholds(db: HealthDb, rules: HealthThresholds, now: Date, transaction?: Transaction): Promise<void> {
  await db.sequelize.query(
    `INSERT INTO health_rules (name, thresholds, updated_at) VALUES ('${RULES_ROW}', :thresholds, :now)
     ON CONFLICT (name) DO UPDATE SET thresholds = excluded.thresholds, updated_at = excluded.updated_at`,
    { replacements: { thresholds: thresholdsKey(rules), now }, type: QueryTypes.INSERT, transaction },
  );
}

/** Computes every integration's verdict afresh, a thousand at a time by id, and records the thresholds: the migration's fill. */
export async function fillHealth(db: HealthDb, now: Date, rules: HealthThresholds): Promise<void> {
  for (let after = ""; ; ) {
    const rows = await db.sequelize.query<Row>(`SELECT id FROM integrations WHERE id > :after ORDER BY id LIMIT ${HEALTH_BATCH}`, { replacements: { after }, type: QueryTypes.SELECT });
    if (rows.length === 0) break;
    const ids = rows.map((row) => String(row.id));
    await refreshHealthOf(db, ids, now, rules, { gapIds: new Set(ids) });
    after = ids[ids.length - 1]!;
  }
  await recordThresholds(db, rules, now);
}

/**
 * When the configured thresholds differ from those the kept verdicts were computed with, makes every verdict due
 * (the sweep and readers then recompute them) and records the new thresholds, in one transaction. True when it did.
 */
async function adoptThresholds(db: Database, rules: HealthThresholds, now: Date): Promise<boolean> {
  const key = thresholdsKey(rules);
  // The configuration does not change while the process runs: once this process found its thresholds recorded
  // (or recorded them), readers of the same database skip the read.
  if (adopted.get(db) === key) return false;
  if (thresholdsKey(await keptThresholds(db)) === key) {
    adopted.set(db, key);
    return false;
  }
  await db.sequelize.transaction(async (transaction) => {
    await db.sequelize.query("UPDATE integrations SET health_due_at = :epoch", { replacements: { epoch: new Date(0) }, type: QueryTypes.UPDATE, transaction });
    await recordThresholds(db, rules, now, transaction);
  });
  adopted.set(db, key);
  return true;
}

/** The thresholds each open database was last found (or made) to keep its verdicts with, by this process. */
const adopted = new WeakMap<Database, string>();

/** Due rows recomputed by one call of refreshDueHealth at most, unless told otherwise. */
const DEFAULT_REFRESH_LIMIT = 20_000;

/**
 * Recomputes the verdicts whose due time has passed (or that were computed at a later instant than `now`), in
 * batches of a thousand, each in its own transaction (on PostgreSQL taking only rows no writer holds: a run being
 * recorded recomputes its integration itself). Stops after `limit` rows; returns how many it recomputed and
 * whether due rows remain. A call that dies halfway leaves the rest due for the next one.
 */
export async function refreshDueHealth(db: Database, rules: HealthThresholds, now: Date, limit = DEFAULT_REFRESH_LIMIT): Promise<{ refreshed: number; more: boolean }> {
  await adoptThresholds(db, rules, now);
  // Readers call this before every health answer: when nothing is due (the sweep keeps up), two index probes
  // say so without taking the write transaction (on SQLite, the one writer's lock) that recomputing needs.
  const [anyDue] = await db.sequelize.query<Row>(
    "SELECT id FROM integrations WHERE health_due_at <= :now UNION ALL SELECT id FROM integrations WHERE health_at > :now LIMIT 1",
    { replacements: { now }, type: QueryTypes.SELECT },
  );
  if (!anyDue) return { refreshed: 0, more: false };
  const lock = db.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  let refreshed = 0;
  while (refreshed < limit) {
    const ids = await db.sequelize.transaction(async (transaction) => {
      const due = await db.sequelize.query<Row>(
        `SELECT id FROM integrations WHERE health_due_at <= :now ORDER BY health_due_at, id LIMIT ${HEALTH_BATCH}${lock}`,
        { replacements: { now }, type: QueryTypes.SELECT, transaction },
      );
      const ahead = due.length < HEALTH_BATCH
        ? await db.sequelize.query<Row>(`SELECT id FROM integrations WHERE health_at > :now ORDER BY health_at LIMIT ${HEALTH_BATCH - due.length}${lock}`, {
            replacements: { now },
            type: QueryTypes.SELECT,
            transaction,
          })
        : [];
      const batch = [...new Set([...due, ...ahead].map((row) => String(row.id)))].sort();
      await refreshHealthOf(db, batch, now, rules, { transaction });
      return batch;
    });
    refreshed += ids.length;
    if (ids.length < HEALTH_BATCH) return { refreshed, more: false };
  }
  return { refreshed, more: true };
}

/**
 * Runs of one integration (`i`) started at or after `:<name>Since`, as SQL: the per-day roll-up's whole days after
 * that instant's UTC day, plus that day's runs counted exactly from flow_runs (through the (integration_id,
 * started_at) index, at most a day of runs) only when the roll-up has a row for it. One probe of the roll-up per
 * window; flow_runs is read only for integrations that ran on the boundary day. `errors` counts the failed ones.
 */
function runsSinceSql(name: string, what: "runs" | "errors"): string {
  const status = what === "errors" ? " AND b.status = 'error'" : "";
  return `(SELECT COALESCE(SUM(CASE WHEN d.day > :${name}Day THEN d.${what} END), 0)
        + CASE WHEN MIN(d.day) = :${name}Day THEN (SELECT COUNT(*) FROM flow_runs b WHERE b.integration_id = i.id AND b.started_at >= :${name}Since AND b.started_at < :${name}DayEnd${status}) ELSE 0 END
      FROM run_days d WHERE d.integration_id = i.id AND d.day >= :${name}Day)`;
}

/**
 * The housekeeping scan over the kept verdicts: every enabled integration in scope that is failing or stale, and
 * overdue when asked (due verdicts recomputed first), with its runs in the last 30 days, for a failing one its counts in the
 * rate window (for the reason), and its remembered finding. Runs are summed from the per-day roll-up (and the
 * boundary day's counted), for the rows it returns. Ordered by group, then id.
 */
export async function scanHousekeeping(db: Database, scan: HousekeepingScan, transaction?: Transaction): Promise<IntegrationHealth[]> {
  if (!scan.scope.all && scan.scope.groupIds.length === 0) return [];
  if (scan.integrationIds && scan.integrationIds.length === 0) return [];
  // Inside a caller's transaction (a snooze) the due rows were refreshed by the reader before it.
  if (!transaction && !scan.refreshed) await refreshDueHealth(db, scan.rules, scan.now);
  const filter = scanFilter(scan);
  const sql = `SELECT i.id, i.group_id, i.failures_in_row, i.latest_run_at, i.latest_run_error, i.last_success_at, i.created_at, i.health, i.median_gap_ms,
      ${runsSinceSql("cost", "runs")} AS runs_30d,
      CASE WHEN i.health = 'failing' THEN ${runsSinceSql("rate", "runs")} END AS rate_runs,
      CASE WHEN i.health = 'failing' THEN ${runsSinceSql("rate", "errors")} END AS rate_errors,
      f.kind AS finding_kind, f.first_reported_at, f.last_reported_at, f.snoozed_until, f.snoozed_by, f.resolved_at
    FROM integrations i
    LEFT JOIN housekeeping_findings f ON f.integration_id = i.id
    WHERE ${filter.sql}
    ORDER BY i.group_id, CASE i.health WHEN 'failing' THEN 0 WHEN 'stale' THEN 1 ELSE 2 END, i.id${scan.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(scan.limit))}` : ""}`;
  const [rows] = await readScan(db, [sql], { ...filter.replacements, ...windowReplacements(scan.now, scan.rules) }, transaction);
  const { staleBefore } = housekeepingCutoffs(scan.now, scan.rules);
  return rows!.map((row) => healthFromRow(row, scan.rules, staleBefore));
}

/** The findings of a scan counted by group, kind and state, with their runs in the last 30 days. */
interface FindingTally {
  groupId: string;
  /** The kept verdict: failing, stale or overdue. */
  kind: FindingKind;
  state: "new" | "reported" | "snoozed";
  count: number;
  runs30d: number;
}

/**
 * The housekeeping scan's totals, summed in the database: one row per group, kind and state (due verdicts
 * recomputed first). What the report's header and group lines need, without reading every finding.
 */
export async function tallyHousekeeping(db: Database, scan: HousekeepingScan): Promise<FindingTally[]> {
  if (!scan.scope.all && scan.scope.groupIds.length === 0) return [];
  if (!scan.refreshed) await refreshDueHealth(db, scan.rules, scan.now);
  const filter = scanFilter(scan);
  const replacements = { ...filter.replacements, ...windowReplacements(scan.now, scan.rules) };
  const grouped = `i.group_id, i.health, ${FINDING_STATE_SQL}`;
  // Two statements, each walking the kept verdicts in id order (integrations_health_id_group): the findings
  // counted, then their runs summed from the roll-up (the boundary day counted exactly, as runsSinceSql does).
  const counts = `SELECT i.group_id, i.health AS kind, ${FINDING_STATE_SQL} AS state, COUNT(*) AS n
    FROM integrations i LEFT JOIN housekeeping_findings f ON f.integration_id = i.id
    WHERE ${filter.sql} GROUP BY ${grouped}`;
  const dayRuns = `CASE WHEN d.day > :costDay THEN d.runs
        ELSE (SELECT COUNT(*) FROM flow_runs b WHERE b.integration_id = i.id AND b.started_at >= :costSince AND b.started_at < :costDayEnd) END`;
  // PostgreSQL would hash the whole roll-up's window to join it; LATERAL keeps it to one probe per finding.
  const runs =
    db.dialect === "postgres"
      ? `SELECT i.group_id, i.health AS kind, ${FINDING_STATE_SQL} AS state, SUM(r.runs) AS runs
    FROM integrations i
    CROSS JOIN LATERAL (SELECT SUM(${dayRuns}) AS runs FROM run_days d WHERE d.integration_id = i.id AND d.day >= :costDay) r
    LEFT JOIN housekeeping_findings f ON f.integration_id = i.id
    WHERE ${filter.sql} GROUP BY ${grouped}`
      : `SELECT i.group_id, i.health AS kind, ${FINDING_STATE_SQL} AS state, SUM(${dayRuns}) AS runs
    FROM integrations i JOIN run_days d ON d.integration_id = i.id AND d.day >= :costDay
    LEFT JOIN housekeeping_findings f ON f.integration_id = i.id
    WHERE ${filter.sql} GROUP BY ${grouped}`;
  const [countRows, runRows] = await readScan(db, [counts, runs], replacements);
  const key = (row: Record<string, unknown>) => `${String(row.group_id)}\u0000${String(row.kind)}\u0000${String(row.state)}`;
  const runsOf = new Map(runRows!.map((row) => [key(row), toNumber(row.runs)]));
  return countRows!.map((row) => ({
    groupId: String(row.group_id),
    kind: row.kind as FindingKind,
    state: row.state as FindingTally["state"],
    count: toNumber(row.n),
    runs30d: runsOf.get(key(row)) ?? 0,
  }));
}

/** One row of the scan as the housekeeping rules read it. */
function healthFromRow(row: Record<string, unknown>, rules: HealthThresholds, staleBefore: Date): IntegrationHealth {
  const latestRunAt = toDate(row.latest_run_at);
  const activatedAt = toDate(row.created_at)!;
  const failuresInRow = toNumber(row.failures_in_row);
  const failing = row.health === "failing";
  const rateRuns = toNumber(row.rate_runs);
  const rateErrors = toNumber(row.rate_errors);
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
    failingStreak: failing && failuresInRow >= rules.failingAfterErrors,
    failingRate: failing && rateRuleMatches(rateRuns, rateErrors, rules.failingErrorRate) ? { runs: rateRuns, errors: rateErrors } : null,
    // A failing integration may be stale too: its reason says both.
    stale: row.health === "stale" || (failing && (latestRunAt ? latestRunAt.getTime() <= staleBefore.getTime() : activatedAt.getTime() <= staleBefore.getTime())),
    overdueGapMs: row.health === "overdue" ? toNumber(row.median_gap_ms) : null,
    runs30d: toNumber(row.runs_30d),
    stored,
  };
}
