/**
 * The housekeeping scan at scale, next to one hand-written SQL query that computes the same set.
 *
 *   npx tsx bench/housekeeping-scan.ts [--integrations 100000] [--runs 50] [--repeat 5] [--database postgres://…]
 *
 * SQLite (default): the scale database of bench/scale-db.ts (built once, reused), on a private copy.
 * PostgreSQL (--database): that database, filled with seedScale when it holds fewer scale integrations.
 * Prints the median of each, their ratio (target ≤ 1.5), and whether both found the same integrations.
 */
import { parseArgs } from "node:util";
import { QueryTypes, type Transaction } from "sequelize";
import { openDatabase, type Database } from "../src/data/database.ts";
import { migrate } from "../src/data/migrate.ts";
import { scanHousekeeping } from "../src/data/health.ts";
import { RATE_MIN_RUNS } from "../src/domain/health.ts";
import { housekeepingCutoffs, type HousekeepingRules } from "../src/domain/housekeeping.ts";
import { ensureScaleDatabase, workingCopy } from "./scale-db.ts";

const { values } = parseArgs({
  options: {
    integrations: { type: "string", default: "100000" },
    runs: { type: "string", default: "50" },
    repeat: { type: "string", default: "5" },
    database: { type: "string" },
  },
});
const integrations = Number(values.integrations);
const runsPerIntegration = Number(values.runs);
const repeat = Math.max(1, Number(values.repeat));

const rules: HousekeepingRules = { staleAfterDays: 30, failingAfterErrors: 3, failingErrorRate: 0.95, overdueFactor: 3, pricePerRun: 0.002, currency: "EUR" };

/** The set the contract defines, written by hand in one statement: no ORM, no extra columns. */
async function handWritten(db: Database, now: Date, jitOff = false): Promise<string[]> {
  if (jitOff) return db.sequelize.transaction(async (transaction) => {
    await db.sequelize.query("SET LOCAL jit = off", { transaction });
    return handWrittenIn(db, now, transaction);
  });
  return handWrittenIn(db, now);
}

async function handWrittenIn(db: Database, now: Date, transaction?: Transaction): Promise<string[]> {
  const { staleBefore, rateSince } = housekeepingCutoffs(now, rules);
  const rows = await db.sequelize.query<{ id: string }>(
    `SELECT i.id FROM integrations i
     WHERE i.status = 'enabled' AND (
       i.failures_in_row >= :errors
       OR i.latest_run_at <= :staleBefore
       OR (i.latest_run_at IS NULL AND i.created_at <= :staleBefore)
       OR i.id IN (
         SELECT r.integration_id FROM flow_runs r
         WHERE r.started_at >= :rateSince
         GROUP BY r.integration_id
         HAVING COUNT(*) >= :minRuns AND SUM(CASE WHEN r.status = 'error' THEN 1 ELSE 0 END) * 100 >= :ratePercent * COUNT(*)))`,
    {
      replacements: { errors: rules.failingAfterErrors, staleBefore, rateSince, minRuns: RATE_MIN_RUNS, ratePercent: Math.round(rules.failingErrorRate * 100) },
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return rows.map((row) => row.id);
}

async function time<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function openScale(): Promise<{ db: Database; now: Date; label: string; cleanup(): Promise<void> }> {
  if (values.database) {
    const db = openDatabase(values.database);
    await migrate(db);
    const [{ n }] = await db.sequelize.query<{ n: string }>("SELECT COUNT(*) AS n FROM integrations WHERE id LIKE 'int_s%'", { type: QueryTypes.SELECT }) as [{ n: string }];
    const now = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    if (Number(n) < integrations) {
      const { seedScale } = await import("../src/data/seed.ts");
      process.stdout.write(`Filling ${values.database.replace(/\/\/[^@]*@/, "//")} with ${integrations} integrations × ${runsPerIntegration} runs (seedScale)…\n`);
      await seedScale(db, { integrations, runsPerIntegration, now, onProgress: (p) => process.stdout.write(`\r  ${p.integrations}/${p.total} integrations, ${p.runs} runs`) });
      process.stdout.write("\n");
      await db.sequelize.query("VACUUM ANALYZE");
    }
    return { db, now, label: "postgres", cleanup: () => db.close() };
  }
  const scale = await ensureScaleDatabase({ integrations, runsPerIntegration }, { onProgress: (message) => process.stdout.write(`\r  ${message}`) });
  const copy = workingCopy(scale, "housekeeping-scan");
  const db = openDatabase(copy.url);
  return {
    db,
    now: new Date(scale.meta.now),
    label: "sqlite",
    async cleanup() {
      await db.close();
      copy.remove();
    },
  };
}

const { db, now, label, cleanup } = await openScale();
try {
  const [counts] = await db.sequelize.query<{ integrations: string; runs: string }>(
    "SELECT (SELECT COUNT(*) FROM integrations) AS integrations, (SELECT COUNT(*) FROM flow_runs) AS runs",
    { type: QueryTypes.SELECT },
  );
  process.stdout.write(`${label}: ${Number(counts!.integrations).toLocaleString("en")} integrations, ${Number(counts!.runs).toLocaleString("en")} flow runs; now = ${now.toISOString()}\n`);
  // One warm-up each, so both read from a warm cache.
  const warmScan = await scanHousekeeping(db, { scope: { all: true }, now, rules });
  const warmHand = await handWritten(db, now);
  const scanTimes: number[] = [];
  const handTimes: number[] = [];
  const handNoJitTimes: number[] = [];
  const postgres = db.dialect === "postgres";
  for (let i = 0; i < repeat; i++) {
    handTimes.push((await time(() => handWritten(db, now))).ms);
    if (postgres) handNoJitTimes.push((await time(() => handWritten(db, now, true))).ms);
    scanTimes.push((await time(() => scanHousekeeping(db, { scope: { all: true }, now, rules }))).ms);
  }
  const scanIds = new Set(warmScan.map((health) => health.integrationId));
  const sameAs = (ids: string[]) => ids.length === scanIds.size && new Set(ids).size === ids.length && ids.every((id) => scanIds.has(id));
  const same = sameAs(warmHand);
  const failing = warmScan.filter((h) => h.failingStreak || h.failingRate).length;
  const byRate = warmScan.filter((h) => h.failingRate).length;
  const scanMs = median(scanTimes);
  const handMs = median(handTimes);
  process.stdout.write(
    [
      `findings: ${scanIds.size.toLocaleString("en")} (${failing.toLocaleString("en")} failing, ${byRate.toLocaleString("en")} of them by the error rate; ${(scanIds.size - failing).toLocaleString("en")} stale only)`,
      `same set as the hand-written query: ${same ? "yes" : `NO (scan ${scanIds.size}, hand-written ${warmHand.length})`}`,
      `housekeeping scan (with runs in 30 days and remembered findings): median ${scanMs.toFixed(0)} ms of ${repeat} [${scanTimes.map((t) => t.toFixed(0)).join(", ")}]`,
      `hand-written query (ids only):                                   median ${handMs.toFixed(0)} ms of ${repeat} [${handTimes.map((t) => t.toFixed(0)).join(", ")}]`,
      ...(postgres
        ? [`hand-written query, JIT off as the scan has it:                 median ${median(handNoJitTimes).toFixed(0)} ms of ${repeat} [${handNoJitTimes.map((t) => t.toFixed(0)).join(", ")}]`]
        : []),
      `ratio: ${(scanMs / handMs).toFixed(2)}×${postgres ? `; ${(scanMs / median(handNoJitTimes)).toFixed(2)}× the JIT-off one` : ""} (target ≤ 1.5×)`,
    ].join("\n") + "\n",
  );
  if (!same) process.exitCode = 1;
} finally {
  await cleanup();
}
