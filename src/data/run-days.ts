import { QueryTypes, type Transaction } from "sequelize";
import type { Database } from "./database.ts";
import { jsonList, jsonRows } from "./json-rows.ts";

/**
 * The per-day roll-up of flow runs: for each integration and UTC day, its runs and failed runs (`run_days`).
 * Kept exact by every writer of flow_runs in the writer's own transaction, so it always equals
 * `SELECT integration_id, <UTC day of started_at>, COUNT(*), SUM(status = 'error') FROM flow_runs GROUP BY 1, 2`
 * (days with no run left have no row). Readers sum whole days from it and count the boundary day's runs exactly.
 */

/** What the roll-up routines need of a database (a migration's fits too). */
type RunDaysDb = Pick<Database, "sequelize" | "dialect">;

/** One change to the roll-up: runs and errors added to (or, negative, removed from) an integration's day. */
export interface RunDayChange {
  integrationId: string;
  /** The run's start; its UTC day is the roll-up's row. */
  startedAt: Date;
  runs: number;
  errors: number;
}

/** The UTC day of an instant, as the roll-up keys it (`2026-11-20`). */
export function runDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The instant the UTC day after `at`'s begins. */
export function nextDayStart(at: Date): Date {
  return new Date(`${runDay(new Date(at.getTime() + 86_400_000))}T00:00:00.000Z`);
}

/**
 * The SQL of the UTC day of a started_at column. SQLite holds dates as the UTC text Sequelize writes
 * (`2026-11-20 10:00:00.000 +00:00`), whose first ten characters are the day.
 */
function daySql(db: RunDaysDb, column: string): string {
  return db.dialect === "postgres" ? `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : `substr(${column}, 1, 10)`;
}

/** Rows changed per statement. */
const CHUNK = 1000;

/**
 * Applies changes to the roll-up, summed per integration and day: one upsert per thousand days (its rows bound
 * as one JSON parameter), then the days of those integrations left without runs are dropped.
 */
export async function applyRunDays(db: Database, changes: Iterable<RunDayChange>, transaction?: Transaction): Promise<void> {
  const sums = new Map<string, { integrationId: string; day: string; runs: number; errors: number }>();
  for (const change of changes) {
    const day = runDay(change.startedAt);
    const key = `${change.integrationId}\u0000${day}`;
    const sum = sums.get(key) ?? { integrationId: change.integrationId, day, runs: 0, errors: 0 };
    sum.runs += change.runs;
    sum.errors += change.errors;
    sums.set(key, sum);
  }
  const rows = [...sums.values()].filter((sum) => sum.runs !== 0 || sum.errors !== 0);
  if (rows.length === 0) return;
  // Keys in a fixed order, so two writers of the same days on PostgreSQL take their row locks in the same order.
  rows.sort((a, b) => (a.integrationId < b.integrationId ? -1 : a.integrationId > b.integrationId ? 1 : a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    const source = jsonRows(db, part.map((row) => [row.integrationId, row.day, row.runs, row.errors]), [
      { name: "integration_id" }, { name: "day" }, { name: "runs", type: "INTEGER" }, { name: "errors", type: "INTEGER" },
    ]);
    // (`WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.)
    await db.sequelize.query(
      `INSERT INTO run_days (integration_id, day, runs, errors) SELECT integration_id, day, runs, errors FROM ${source.sql} d WHERE true
       ON CONFLICT (integration_id, day) DO UPDATE SET runs = run_days.runs + excluded.runs, errors = run_days.errors + excluded.errors`,
      { type: QueryTypes.INSERT, transaction, bind: source.bind },
    );
    const emptied = [...new Set(part.filter((row) => row.runs < 0).map((row) => row.integrationId))];
    if (emptied.length) {
      const list = jsonList(db, emptied);
      await db.sequelize.query(`DELETE FROM run_days WHERE runs <= 0 AND integration_id IN ${list.sql}`, { type: QueryTypes.BULKDELETE, transaction, bind: list.bind });
    }
  }
}

/** Builds the roll-up afresh from the stored runs, in one set-based statement: the migration's fill. */
export async function fillRunDays(db: RunDaysDb, transaction?: Transaction): Promise<void> {
  await db.sequelize.query("DELETE FROM run_days", { type: QueryTypes.BULKDELETE, transaction });
  await db.sequelize.query(
    `INSERT INTO run_days (integration_id, day, runs, errors)
     SELECT integration_id, ${daySql(db, "started_at")}, COUNT(*), SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END)
     FROM flow_runs GROUP BY integration_id, ${daySql(db, "started_at")}`,
    { type: QueryTypes.INSERT, transaction },
  );
}
