import { Op, QueryTypes } from "sequelize";
import type { Database } from "./database.ts";
import { toDate } from "./health.ts";

/** One failed run, as a receipt shows it. */
interface RecentError {
  runId: string;
  startedAt: Date;
  error: string | null;
}

/** The integration's last `limit` failed runs, newest first. */
export async function lastErrors(db: Database, integrationId: string, limit = 3): Promise<RecentError[]> {
  const rows = await db.models.FlowRun.findAll({
    where: { integrationId, status: "error" },
    order: [["startedAt", "DESC"]],
    limit,
    attributes: ["id", "startedAt", "error"],
    raw: true,
  });
  return rows.map((row) => ({ runId: row.id, startedAt: row.startedAt, error: row.error ?? null }));
}

/** How many runs the integrations had since `since`, summed (chunked, so any number of ids works). */
export async function runsSince(db: Database, integrationIds: readonly string[], since: Date): Promise<number> {
  let total = 0;
  for (let i = 0; i < integrationIds.length; i += 500) {
    total += await db.models.FlowRun.count({ where: { integrationId: { [Op.in]: integrationIds.slice(i, i + 500) }, startedAt: { [Op.gte]: since } } });
  }
  return total;
}

/** The last `limit` failed runs of each of the integrations, newest first (one statement per 500 ids). */
export async function lastErrorsOf(db: Database, integrationIds: readonly string[], limit = 3): Promise<Map<string, RecentError[]>> {
  const out = new Map<string, RecentError[]>();
  for (let i = 0; i < integrationIds.length; i += 500) {
    const rows = await db.sequelize.query<{ id: string; integration_id: string; started_at: unknown; error: string | null }>(
      `SELECT id, integration_id, started_at, error FROM (
         SELECT r.id, r.integration_id, r.started_at, r.error, ROW_NUMBER() OVER (PARTITION BY r.integration_id ORDER BY r.started_at DESC, r.id DESC) AS n
         FROM flow_runs r WHERE r.status = 'error' AND r.integration_id IN (:ids)
       ) ranked WHERE n <= :limit ORDER BY integration_id, n`,
      { replacements: { ids: integrationIds.slice(i, i + 500), limit }, type: QueryTypes.SELECT },
    );
    for (const row of rows) {
      const list = out.get(row.integration_id) ?? [];
      list.push({ runId: row.id, startedAt: toDate(row.started_at)!, error: row.error ?? null });
      out.set(row.integration_id, list);
    }
  }
  return out;
}
