import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/data/database.ts";
import { migrate } from "../src/data/migrate.ts";
import { fillRunDays } from "../src/data/run-days.ts";
import { fillHealth } from "../src/data/health.ts";
import { DEFAULT_THRESHOLDS } from "../src/domain/health.ts";
import { QueryTypes } from "sequelize";

/** Where scale databases and working copies live (git-ignored). */
export const BENCH_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), ".data");

/** The sizes of one scale database. */
export interface ScaleSizes {
  integrations: number;
  runsPerIntegration: number;
}

/** What a built scale database holds, kept next to it so a half-built file is never reused. */
export interface ScaleMeta extends ScaleSizes {
  /** Flow runs actually written (never-run integrations have none). */
  runs: number;
  groups: number;
  configurations: number;
  /** The instant the data is laid out around (ISO). */
  now: string;
  builtInMs: number;
  builder: "seedScale" | "bench-sql";
  builtAt: string;
}

/** A scale database ready to use: its pristine file, and what it holds. */
export interface ScaleDatabase {
  path: string;
  meta: ScaleMeta;
  /** True when it was built by this run rather than reused. */
  built: boolean;
}

/** The operators every scale database holds, with their Slack links. */
export const SCALE_OPERATORS = {
  admin: { email: "admin@bench.example", slack: "UBENCHADMIN" },
  /** A member with `view` on three groups: requests through a permission scope. */
  viewer: { email: "viewer@bench.example", slack: "UBENCHVIEW" },
} as const;

/**
 * How scale data is written. `sql` (the default) generates the rows inside SQLite; `seed` uses the product's
 * seedScale (src/data/seed.ts), which ships each row through Sequelize: the same kind of data, about seven
 * times slower to build (5M runs: ~14 min instead of ~2 on the bench machine).
 */
export type ScaleBuilder = "sql" | "seed";

/** The signature of seedScale in src/data/seed.ts, used when it is there. */
type SeedScale = (db: Database, options: { integrations: number; runsPerIntegration: number; now: Date; onProgress?: (progress: unknown) => void }) => Promise<unknown>;

const FLOWS = 50;
const CONFIGURATIONS_PER_GROUP = 4;
/** Time between two runs of one integration: 50 runs span about 6 days, so the error-rate rule has data. */
const RUN_SPACING_S = 3 * 3600;
const DAY_S = 86_400;

/** The id of the n-th integration (1-based) in a scale database. */
function scaleIntegrationId(n: number): string {
  return `int_${String(n).padStart(7, "0")}`;
}

/** How many groups a scale database of this size has: about 2,500 integrations each. */
function scaleGroupCount(integrations: number): number {
  return Math.min(400, Math.max(4, Math.ceil(integrations / 2500)));
}

function fileFor(sizes: ScaleSizes): string {
  return join(BENCH_DATA_DIR, `scale-i${sizes.integrations}-r${sizes.runsPerIntegration}.sqlite`);
}

/**
 * Returns the scale database of these sizes, building it when it is not there yet (or was left half-built).
 * A reused database is migrated, so a migration added since it was built still applies.
 */
export async function ensureScaleDatabase(sizes: ScaleSizes, options: { builder?: ScaleBuilder; rebuild?: boolean; onProgress?: (message: string) => void } = {}): Promise<ScaleDatabase> {
  mkdirSync(BENCH_DATA_DIR, { recursive: true });
  const path = fileFor(sizes);
  const metaPath = `${path}.json`;
  if (!options.rebuild && existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as ScaleMeta;
    const db = openDatabase(`sqlite:${path}`);
    try {
      await migrate(db);
      await fillVerdictsOnce(db, new Date(meta.now), options.onProgress);
      await db.sequelize.query("PRAGMA journal_mode=DELETE");
    } finally {
      await db.close();
    }
    return { path, meta, built: false };
  }
  for (const stale of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`, metaPath]) rmSync(stale, { force: true });
  const started = Date.now();
  // Whole hours, so two builds of the same sizes lay out the same timestamps relative to their start.
  const now = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const db = openDatabase(`sqlite:${path}`);
  let builder: ScaleMeta["builder"] = "bench-sql";
  try {
    await migrate(db);
    const seedScale = options.builder === "seed" ? await findSeedScale() : undefined;
    if (options.builder === "seed" && !seedScale) throw new Error("--builder seed: src/data/seed.ts has no seedScale");
    if (seedScale) {
      builder = "seedScale";
      const report = options.onProgress;
      await seedScale(db, {
        ...sizes,
        now,
        onProgress: (progress) => {
          const p = progress as { integrations?: number; runs?: number; total?: number };
          report?.(typeof progress === "string" ? progress : `integrations ${p.integrations?.toLocaleString("en")}/${p.total?.toLocaleString("en")}, ${p.runs?.toLocaleString("en")} runs`);
        },
      });
    } else {
      await buildWithSql(db, sizes, now, options.onProgress ?? (() => undefined));
      // The runs were written past recordRuns: their per-day roll-up is built from them, as the migration does.
      await fillRunDays(db);
    }
    await addBenchOperators(db, now);
    await fillVerdictsOnce(db, now, options.onProgress);
    await db.sequelize.query("PRAGMA journal_mode=DELETE");
    const [[counts]] = (await db.sequelize.query(
      "SELECT (SELECT COUNT(*) FROM flow_runs) AS runs, (SELECT COUNT(*) FROM groups) AS groups, (SELECT COUNT(*) FROM embed_configurations) AS configurations",
    )) as [Array<{ runs: number; groups: number; configurations: number }>, unknown];
    const meta: ScaleMeta = {
      ...sizes,
      runs: counts!.runs,
      groups: counts!.groups,
      configurations: counts!.configurations,
      now: now.toISOString(),
      builtInMs: Date.now() - started,
      builder,
      builtAt: new Date().toISOString(),
    };
    await db.close();
    writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
    return { path, meta, built: true };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Computes every integration's health verdict from its runs, as the migration does for a database migrated with
 * data in it, when no verdict was computed yet (the rows were written past recordRuns). At 1M this takes minutes,
 * once per scale database.
 */
async function fillVerdictsOnce(db: Database, now: Date, progress?: (message: string) => void): Promise<void> {
  const [unset] = await db.sequelize.query<{ id: string }>("SELECT id FROM integrations WHERE health_at IS NULL LIMIT 1", { type: QueryTypes.SELECT });
  if (!unset) return;
  progress?.("computing health verdicts (once per scale database)");
  await fillHealth(db, now, DEFAULT_THRESHOLDS);
}

/** A private copy of a scale database for sections that write (ingestion, load), so the pristine file stays as built. */
export function workingCopy(scale: ScaleDatabase, name: string): { path: string; url: string; remove(): void } {
  const path = join(BENCH_DATA_DIR, `work-${name}-${process.pid}.sqlite`);
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${path}${suffix}`, { force: true });
  copyFileSync(scale.path, path);
  return {
    path,
    url: `sqlite:${path}`,
    remove() {
      for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${path}${suffix}`, { force: true });
    },
  };
}

async function findSeedScale(): Promise<SeedScale | undefined> {
  const seed = (await import("../src/data/seed.ts")) as Record<string, unknown>;
  return typeof seed.seedScale === "function" ? (seed.seedScale as SeedScale) : undefined;
}

/** SQLite's text form of an instant as Sequelize stores it (`YYYY-MM-DD HH:MM:SS.SSS +00:00`), from epoch seconds. */
function sqlDate(epochSecondsSql: string): string {
  return `(strftime('%Y-%m-%d %H:%M:%f', ${epochSecondsSql}, 'unixepoch') || ' +00:00')`;
}

/**
 * Builds the data inside SQLite with generated rows (recursive CTEs), so millions of rows take seconds, not the
 * time of shipping each row through JavaScript. The shape follows the platform: groups of configurations, flows,
 * integrations with profiles (healthy, stale, failing, mostly failing, never ran, disabled) and their flow runs;
 * each integration's latest-run columns are then derived from its runs, as recordRuns would have left them.
 */
async function buildWithSql(db: Database, sizes: ScaleSizes, now: Date, progress: (message: string) => void): Promise<void> {
  const q = (sql: string) => db.sequelize.query(sql);
  const nowS = Math.floor(now.getTime() / 1000);
  const n = sizes.integrations;
  const r = sizes.runsPerIntegration;
  const groups = scaleGroupCount(n);
  const configurations = groups * CONFIGURATIONS_PER_GROUP;
  // The build owns the file: no journal, no fsync, no foreign-key checks; the bot's own settings apply when it opens it.
  await q("PRAGMA foreign_keys=OFF");
  await q("PRAGMA journal_mode=OFF");
  await q("PRAGMA synchronous=OFF");
  await q("PRAGMA cache_size=-262144");
  await q("PRAGMA temp_store=MEMORY");

  // Secondary indexes are rebuilt once at the end: sorting once beats millions of random B-tree inserts.
  const [indexes] = (await db.sequelize.query(
    "SELECT name, sql, tbl_name AS \"table\" FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('integrations', 'flow_runs')",
  )) as [Array<{ name: string; sql: string; table: string }>, unknown];
  for (const index of indexes) await q(`DROP INDEX "${index.name}"`);

  const stamp = sqlDate(String(nowS));
  await q(`WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < ${groups})
    INSERT INTO groups (id, name, kind, created_at, updated_at)
    SELECT printf('grp_%04d', g), printf('%s %04d', CASE WHEN g % 5 = 0 THEN 'Partner' ELSE 'Group' END, g),
      CASE WHEN g % 5 = 0 THEN 'partner' ELSE 'group' END, ${stamp}, ${stamp} FROM seq`);
  await q(`WITH RECURSIVE seq(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM seq WHERE c < ${configurations})
    INSERT INTO embed_configurations (id, name, group_id, sharing_level, secret, proprietary_connector, created_at, updated_at)
    SELECT printf('cfg_%05d', c), printf('Configuration %05d', c), printf('grp_%04d', (c - 1) / ${CONFIGURATIONS_PER_GROUP} + 1),
      CASE WHEN c % 3 = 0 THEN 'account' ELSE 'user' END, printf('bench-secret-%05d-0123456789', c),
      CASE WHEN c % 2 = 0 THEN 'HubSpot' END, ${stamp}, ${stamp} FROM seq`);
  await q(`WITH RECURSIVE seq(f) AS (SELECT 1 UNION ALL SELECT f + 1 FROM seq WHERE f < ${FLOWS})
    INSERT INTO embed_flows (id, name, url, trigger, trigger_url, created_at, updated_at)
    SELECT printf('flow_%03d', f), printf('Flow %03d to CRM', f), printf('https://flows.bench.example/flow_%03d', f),
      CASE WHEN f % 2 = 1 THEN 'webhook' ELSE 'scheduler' END, printf('https://engine.bench.example/run/flow_%03d', f), ${stamp}, ${stamp} FROM seq`);

  const chunk = 50_000;
  for (let from = 1; from <= n; from += chunk) {
    const to = Math.min(n, from + chunk - 1);
    // Configuration spread with a stride, so neighbouring ids land in different groups.
    await q(`WITH RECURSIVE seq(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM seq WHERE i < ${to}),
      rows AS (SELECT i, ((i * 7) % ${configurations}) + 1 AS c, (i % ${FLOWS}) + 1 AS f FROM seq)
      INSERT INTO integrations (id, name, flow_id, configuration_id, group_id, sharing_level, activation_key, embed_user_id,
        embed_account_id, embed_user_name, embed_account_name, embed_state, status, trigger_url, status_changed_at,
        status_changed_by, disabled_reason, failures_in_row, activity_at, created_at, updated_at)
      SELECT printf('int_%07d', i), printf('Flow %03d to CRM for user %d', f, i), printf('flow_%03d', f), printf('cfg_%05d', c),
        printf('grp_%04d', (c - 1) / ${CONFIGURATIONS_PER_GROUP} + 1),
        CASE WHEN c % 3 = 0 THEN 'account' ELSE 'user' END,
        CASE WHEN c % 3 = 0 THEN printf('cfg_%05d|flow_%03d|a:acc_%07d', c, f, i) ELSE printf('cfg_%05d|flow_%03d|u:u_%07d', c, f, i) END,
        printf('u_%07d', i), printf('acc_%07d', CASE WHEN c % 3 = 0 THEN i ELSE i / 4 END),
        printf('User %d van Bench', i), NULL, NULL,
        CASE WHEN i % 10 = 5 THEN 'disabled' ELSE 'enabled' END, NULL,
        CASE WHEN i % 10 = 5 THEN ${sqlDate(`${nowS} - (i % 20) * ${DAY_S}`)} END,
        CASE WHEN i % 10 = 5 THEN '${SCALE_OPERATORS.admin.email}' END,
        CASE WHEN i % 10 = 5 THEN 'costs more than it brings' END,
        0, ${sqlDate(`${nowS} - (60 + i % 700) * ${DAY_S} - (i % 3600)`)}, ${sqlDate(`${nowS} - (60 + i % 700) * ${DAY_S} - (i % 3600)`)}, ${stamp}
      FROM rows`);
    progress(`integrations ${to.toLocaleString("en")}/${n.toLocaleString("en")}`);
  }

  // Profiles by i % 100: 7 never ran; 11-13 stale (runs stopped 45 days ago); 21-23 failing (last 4 runs errors);
  // 31 mostly failing (the error-rate rule); 41 latest run still running; i % 10 = 5 disabled; otherwise 3 % random errors.
  const runChunk = Math.max(1, Math.floor(500_000 / Math.max(1, r)));
  for (let from = 1; from <= n && r > 0; from += runChunk) {
    const to = Math.min(n, from + runChunk - 1);
    await q(`WITH RECURSIVE seq(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM seq WHERE i < ${to}),
      ks(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM ks WHERE k < ${r - 1}),
      runs AS (
        SELECT i, k, i % 100 AS p, ((i * 2654435761) + (k * 97531)) % 1000 AS h,
          ${nowS} - ((i * 37) % ${RUN_SPACING_S}) - 60 - k * ${RUN_SPACING_S} - CASE WHEN i % 100 BETWEEN 11 AND 13 THEN 45 * ${DAY_S} ELSE 0 END AS s
        FROM seq, ks WHERE i % 100 <> 7
      ),
      shaped AS (
        SELECT i, k, h, s,
          CASE
            WHEN p = 41 AND k = 0 THEN 'running'
            WHEN p BETWEEN 21 AND 23 AND k < 4 THEN 'error'
            WHEN p = 31 AND k % 25 <> 24 THEN 'error'
            WHEN h < 30 THEN 'error'
            ELSE 'success'
          END AS status
        FROM runs
      )
      INSERT INTO flow_runs (id, integration_id, status, trigger, started_at, finished_at, error, requested_by, created_at, updated_at)
      SELECT printf('run_%07d_%03d', i, k), printf('int_%07d', i), status,
        CASE WHEN h % 50 = 1 THEN 'manual' WHEN (i % ${FLOWS}) % 2 = 0 THEN 'webhook' ELSE 'scheduler' END,
        ${sqlDate("s")},
        CASE WHEN status = 'running' THEN NULL ELSE ${sqlDate("s + 30 + i % 90")} END,
        CASE WHEN status = 'error' THEN CASE h % 4 WHEN 0 THEN '401 from HubSpot: token expired' WHEN 1 THEN 'Timeout after 30 s calling Salesforce'
          WHEN 2 THEN '500 from the CRM API' ELSE 'Rate limited by the connector (429)' END END,
        CASE WHEN h % 50 = 1 THEN '${SCALE_OPERATORS.admin.email}' END,
        ${sqlDate("s")}, ${sqlDate("s + 30 + i % 90")}
      FROM shaped`);
    progress(`flow runs of integrations ${to.toLocaleString("en")}/${n.toLocaleString("en")}`);
  }

  progress("indexing flow runs");
  for (const index of indexes.filter((i) => i.table === "flow_runs")) await q(index.sql);

  // The latest-run columns, as recordRuns leaves them: latest by start, failures since the last success.
  for (let from = 1; from <= n && r > 0; from += chunk) {
    const to = Math.min(n, from + chunk - 1);
    const range = `integrations.id BETWEEN '${scaleIntegrationId(from)}' AND '${scaleIntegrationId(to)}'`;
    await q(`UPDATE integrations SET latest_run_id = (SELECT f.id FROM flow_runs f WHERE f.integration_id = integrations.id ORDER BY f.started_at DESC, f.id DESC LIMIT 1) WHERE ${range}`);
    await q(`UPDATE integrations SET latest_run_status = f.status, latest_run_at = f.started_at,
        latest_run_error = CASE WHEN f.status = 'error' THEN f.error END,
        activity_at = max(integrations.created_at, f.started_at)
      FROM flow_runs f WHERE f.id = integrations.latest_run_id AND ${range}`);
    await q(`UPDATE integrations SET
        last_success_at = (SELECT MAX(COALESCE(f.finished_at, f.started_at)) FROM flow_runs f WHERE f.integration_id = integrations.id AND f.status = 'success'),
        failures_in_row = (SELECT COUNT(*) FROM flow_runs f WHERE f.integration_id = integrations.id AND f.status = 'error'
          AND f.started_at > COALESCE((SELECT MAX(s.started_at) FROM flow_runs s WHERE s.integration_id = integrations.id AND s.status = 'success'), ''))
      WHERE latest_run_id IS NOT NULL AND ${range}`);
    await q(`UPDATE integrations SET failing_since = (SELECT MIN(f.started_at) FROM flow_runs f WHERE f.integration_id = integrations.id AND f.status = 'error'
          AND f.started_at > COALESCE((SELECT MAX(s.started_at) FROM flow_runs s WHERE s.integration_id = integrations.id AND s.status = 'success'), ''))
      WHERE failures_in_row > 0 AND ${range}`);
    progress(`latest runs ${to.toLocaleString("en")}/${n.toLocaleString("en")}`);
  }

  progress("indexing integrations");
  for (const index of indexes.filter((i) => i.table === "integrations")) await q(index.sql);
  await q("PRAGMA foreign_keys=ON");
}

/** The bench's operators: an admin and a member who may view three groups, each linked to a Slack user. */
async function addBenchOperators(db: Database, now: Date): Promise<void> {
  const m = db.models;
  const [admin] = await m.Operator.findOrCreate({ where: { email: SCALE_OPERATORS.admin.email }, defaults: { email: SCALE_OPERATORS.admin.email, name: "Ada Bench", role: "admin" } });
  const [viewer] = await m.Operator.findOrCreate({ where: { email: SCALE_OPERATORS.viewer.email }, defaults: { email: SCALE_OPERATORS.viewer.email, name: "Vic Bench", role: "member" } });
  await m.SlackLink.bulkCreate(
    [
      { slackUserId: SCALE_OPERATORS.admin.slack, operatorId: admin.id, createdBy: "bench" },
      { slackUserId: SCALE_OPERATORS.viewer.slack, operatorId: viewer.id, createdBy: "bench" },
    ],
    { ignoreDuplicates: true },
  );
  const groups = await m.Group.findAll({ attributes: ["id"], order: [["id", "ASC"]], limit: 3 });
  await m.Grant.bulkCreate(
    groups.map((group) => ({
      operatorId: viewer.id,
      slackUsergroupId: null,
      permission: "view" as const,
      groupId: group.id,
      subjectKey: `op:${viewer.id}`,
      scopeKey: group.id,
      createdBy: "bench",
      createdAt: now,
      updatedAt: now,
    })),
    { ignoreDuplicates: true },
  );
}
