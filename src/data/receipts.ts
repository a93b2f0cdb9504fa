import { Op } from "sequelize";
import type { Database } from "./database.ts";

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
