import { QueryTypes } from "sequelize";
import type { Database } from "../../src/data/database.ts";
import type { RunStatus } from "../../src/data/models/index.ts";
import { GAP_RUNS, healthVerdict, medianGap, rateSince, type HealthFacts, type HealthThresholds } from "../../src/domain/health.ts";

// What the stored runs say, counted here in plain code, to hold the kept roll-up and verdicts against.

type Row = Record<string, unknown>;

/** A date column as either dialect gives it (SQLite: the UTC text Sequelize writes). */
function date(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value).replace(" ", "T").replace(" +00:00", "Z"));
}

/** The stored runs of these integrations grouped by integration and UTC day, as `integration day runs errors` lines. */
export async function groupedRuns(db: Database, ids: readonly string[]): Promise<string[]> {
  const runs = await db.sequelize.query<Row>("SELECT integration_id, started_at, status FROM flow_runs WHERE integration_id IN (:ids)", { replacements: { ids }, type: QueryTypes.SELECT });
  const days = new Map<string, { runs: number; errors: number }>();
  for (const run of runs) {
    const key = `${String(run.integration_id)} ${date(run.started_at)!.toISOString().slice(0, 10)}`;
    const day = days.get(key) ?? { runs: 0, errors: 0 };
    day.runs += 1;
    if (run.status === "error") day.errors += 1;
    days.set(key, day);
  }
  return [...days].map(([key, day]) => `${key} ${day.runs} ${day.errors}`).sort();
}

/** The per-day roll-up's rows of these integrations, in the same form. */
export async function rolledUp(db: Database, ids: readonly string[]): Promise<string[]> {
  const rows = await db.sequelize.query<Row>("SELECT integration_id, day, runs, errors FROM run_days WHERE integration_id IN (:ids)", { replacements: { ids }, type: QueryTypes.SELECT });
  return rows.map((row) => `${String(row.integration_id)} ${String(row.day)} ${Number(row.runs)} ${Number(row.errors)}`).sort();
}

/** The verdict the domain rule gives from an integration's runs as stored. */
export async function expectedVerdict(db: Database, id: string, now: Date, rules: HealthThresholds): Promise<ReturnType<typeof healthVerdict>> {
  const [integration] = await db.sequelize.query<Row>(
    "SELECT i.created_at, f.\"trigger\" AS flow_trigger FROM integrations i JOIN embed_flows f ON f.id = i.flow_id WHERE i.id = :id",
    { replacements: { id }, type: QueryTypes.SELECT },
  );
  const runs = (await db.sequelize.query<Row>("SELECT status, started_at FROM flow_runs WHERE integration_id = :id", { replacements: { id }, type: QueryTypes.SELECT }))
    .map((row) => ({ status: row.status as RunStatus, startedAt: date(row.started_at)! }))
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const lastSuccess = runs.find((run) => run.status === "success")?.startedAt.getTime() ?? -Infinity;
  const streak = runs.filter((run) => run.status === "error" && run.startedAt.getTime() > lastSuccess);
  const since = rateSince(now).getTime();
  const window = runs.filter((run) => run.startedAt.getTime() >= since);
  const facts: HealthFacts = {
    failuresInRow: streak.length,
    failingSince: streak.length ? streak[streak.length - 1]!.startedAt : null,
    runs7d: window.length,
    errors7d: window.filter((run) => run.status === "error").length,
    oldestRun7dAt: window.length ? window[window.length - 1]!.startedAt : null,
    latestRunAt: runs[0]?.startedAt ?? null,
    activatedAt: date(integration!.created_at)!,
    medianGapMs: medianGap(runs.slice(0, GAP_RUNS).map((run) => run.startedAt)),
    gapRuns: Math.min(runs.length, GAP_RUNS),
    scheduled: integration!.flow_trigger === "scheduler",
  };
  return healthVerdict(facts, now, rules);
}

/** An integration's kept verdict, as stored. */
export async function keptVerdict(db: Database, id: string): Promise<{ health: string | null; reason: string | null; dueAt: Date | null }> {
  const [row] = await db.sequelize.query<Row>("SELECT health, health_reason, health_due_at FROM integrations WHERE id = :id", { replacements: { id }, type: QueryTypes.SELECT });
  return { health: (row!.health as string | null) ?? null, reason: (row!.health_reason as string | null) ?? null, dueAt: date(row!.health_due_at) };
}
