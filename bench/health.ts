/**
 * The kept health verdict at fleet scale, printed as one JSON line:
 *
 *   npx tsx bench/health.ts [--sizes 10000,100000] [--runs 5] [--repeat 20]
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/health.ts --sizes 10000,100000
 *
 * At each fleet size, on a working copy of the scale database (SQLite; with BENCH_POSTGRES_URL, the same rows
 * generated in a fresh PostgreSQL database too):
 * 1. the fill the migration does: every integration's verdict computed from its runs (`fillMs`);
 * 2. `list failing`, `list overdue` and `incidents` answered through the dispatcher as an admin, `--repeat` times
 *    each (medians);
 * 3. the housekeeping scan: the report's findings counted and their runs of 30 days summed per group, kind and
 *    state in the database (`scanMs`), against reading the kept verdicts alone (`keptReadMs`, the floor: every
 *    finding's id and verdict); the report's whole read with its 200 detailed findings named (`reportReadMs`); and
 *    every finding read whole, as the report read them before (`wholeRowsMs`).
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { QueryTypes } from "sequelize";
import { COMMANDS } from "../commands/index.ts";
import { FakeClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase, type Database } from "../src/data/database.ts";
import { fillHealth, scanHousekeeping, tallyHousekeeping } from "../src/data/health.ts";
import { MAX_DETAILED_FINDINGS, readReport } from "../src/housekeeping/report.ts";
import { migrate } from "../src/data/migrate.ts";
import { findOperatorByEmail, operatorActor } from "../src/data/operators.ts";
import { housekeepingRules } from "../src/domain/housekeeping.ts";
import type { ChannelMessages, MessageRef } from "../src/reply/messages.ts";
import { openRuntime } from "../src/runtime.ts";
import { setLogLevel } from "../src/log.ts";
import { ensureScaleDatabase, SCALE_OPERATORS, workingCopy } from "./scale-db.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000" },
    runs: { type: "string", default: "5" },
    repeat: { type: "string", default: "20" },
  },
});
const sizes = values.sizes!.split(",").filter((part) => part.trim() !== "").map(Number);
const runsPerIntegration = Number(values.runs);
const repeat = Number(values.repeat);
const server = process.env.BENCH_POSTGRES_URL?.trim() || undefined;
setLogLevel("silent");

const quiet: ChannelMessages = {
  async post(channel): Promise<MessageRef> {
    return { channel, ts: "1.000100" };
  },
  async update() {},
};

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
const out: Record<string, number | string | boolean> = {};

/** Copies the scale rows of a SQLite file into a fresh PostgreSQL database (COPY-free: batched INSERTs of plain rows). */
async function copyToPostgres(sqlite: Database, url: string): Promise<void> {
  const target = openDatabase(url);
  try {
    await migrate(target);
    for (const table of ["groups", "embed_configurations", "embed_flows", "operators", "grants", "slack_links", "integrations", "flow_runs", "run_days"]) {
      const columns = (await sqlite.sequelize.query<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`, { type: QueryTypes.SELECT })).map((row) => row.name);
      for (let offset = 0; ; offset += 5000) {
        const rows = await sqlite.sequelize.query<Record<string, unknown>>(`SELECT * FROM ${table} LIMIT 5000 OFFSET ${offset}`, { type: QueryTypes.SELECT });
        if (rows.length === 0) break;
        const tuples = rows.map((row) => `(${columns.map((column) => target.sequelize.escape(row[column] as string)).join(", ")})`);
        await target.sequelize.query(`INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(", ")}) VALUES ${tuples.join(", ")}`);
      }
    }
    await target.sequelize.query("ANALYZE");
  } finally {
    await target.close();
  }
}

/** Measures one database (already holding the scale rows) at `now`. */
async function measure(url: string, now: Date, key: string): Promise<number[]> {
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" });
  const rules = housekeepingRules(config);
  const db = openDatabase(url);
  try {
    await migrate(db);
    out[`fillMs_${key}`] = Math.round((await timed(() => fillHealth(db, now, rules))).ms);
  } finally {
    await db.close();
  }
  const runtime = await openRuntime(config, { clock: new FakeClock(now), messages: quiet, commands: COMMANDS });
  try {
    const admin = await operatorActor(runtime.db, (await findOperatorByEmail(runtime.db, SCALE_OPERATORS.admin.email))!);
    const commandMs = async (text: string) => {
      const samples: number[] = [];
      for (let i = 0; i < repeat + 3; i++) {
        const { ms } = await timed(() => runtime.dispatcher.handle(text, admin, { transport: "console" }));
        if (i >= 3) samples.push(ms);
      }
      return median(samples);
    };
    const listFailing = await commandMs("list failing");
    const listOverdue = await commandMs("list overdue");
    const incidents = await commandMs("incidents");
    const scans: number[] = [];
    const reads: number[] = [];
    const whole: number[] = [];
    const kept: number[] = [];
    let findings = 0;
    const scan = { scope: { all: true } as const, now, rules, overdue: true };
    for (let i = 0; i < 6; i++) {
      // The first round warms the cache and is not counted.
      const keep = (samples: number[], ms: number) => i > 0 && samples.push(ms);
      const read = await timed(() => runtime.db.sequelize.query("SELECT id, health FROM integrations WHERE health IN ('failing', 'stale', 'overdue') AND status = 'enabled'", { type: QueryTypes.SELECT }));
      keep(kept, read.ms);
      findings = read.value.length;
      keep(scans, (await timed(() => tallyHousekeeping(runtime.db, scan))).ms);
      keep(reads, (await timed(() => readReport(runtime.db, { ...scan, timeZone: "UTC" }, { showButtons: () => true, detailLimit: MAX_DETAILED_FINDINGS }))).ms);
      keep(whole, (await timed(() => scanHousekeeping(runtime.db, scan))).ms);
    }
    const counts = await runtime.db.sequelize.query<{ health: string; n: number }>("SELECT health, COUNT(*) AS n FROM integrations WHERE status = 'enabled' GROUP BY health", { type: QueryTypes.SELECT });
    out[`verdicts_${key}`] = counts.map((row) => `${row.health} ${row.n}`).sort().join(", ");
    out[`listFailingMs_${key}`] = Number(listFailing.toFixed(2));
    out[`listOverdueMs_${key}`] = Number(listOverdue.toFixed(2));
    out[`incidentsMs_${key}`] = Number(incidents.toFixed(2));
    out[`scanMs_${key}`] = Number(median(scans).toFixed(1));
    out[`keptReadMs_${key}`] = Number(median(kept).toFixed(1));
    out[`scanRatio_${key}`] = Number((median(scans) / median(kept)).toFixed(2));
    out[`reportReadMs_${key}`] = Number(median(reads).toFixed(1));
    out[`wholeRowsMs_${key}`] = Number(median(whole).toFixed(1));
    out[`findings_${key}`] = findings;
    return [listFailing, listOverdue, incidents];
  } finally {
    await runtime.close();
  }
}

const medians = new Map<string, number[]>();
for (const size of sizes) {
  const scale = await ensureScaleDatabase({ integrations: size, runsPerIntegration }, { onProgress: (message) => process.stderr.write(`${label(size)}: ${message}\n`) });
  // An hour after the data's "now": runs of the busy ones are due, quiet ones overdue.
  const now = new Date(new Date(scale.meta.now).getTime() + 60 * 60_000);
  const copy = workingCopy(scale, `health-${label(size)}`);
  try {
    medians.set(`sqlite_${label(size)}`, await measure(copy.url, now, `sqlite_${label(size)}`));
    if (server) {
      const name = `embedops_bench_health_${process.pid}`;
      const admin = new pg.Client({ connectionString: server });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = server.replace(/\/[^/]*$/, `/${name}`);
      try {
        const source = openDatabase(copy.url);
        try {
          process.stderr.write(`${label(size)}: copying to PostgreSQL\n`);
          await copyToPostgres(source, url);
        } finally {
          await source.close();
        }
        medians.set(`postgres_${label(size)}`, await measure(url, now, `postgres_${label(size)}`));
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    }
  } finally {
    copy.remove();
  }
}
if (sizes.length > 1) {
  const smallest = label(Math.min(...sizes));
  const largest = label(Math.max(...sizes));
  for (const dialect of server ? ["sqlite", "postgres"] : ["sqlite"]) {
    const small = medians.get(`${dialect}_${smallest}`)!;
    const large = medians.get(`${dialect}_${largest}`)!;
    ["listFailing", "listOverdue", "incidents"].forEach((name, i) => {
      out[`${name}Growth_${dialect}`] = Number((large[i]! / small[i]!).toFixed(2));
    });
    out[`scanMsLargest_${dialect}`] = out[`scanMs_${dialect}_${largest}`]!;
    out[`scanRatioLargest_${dialect}`] = out[`scanRatio_${dialect}_${largest}`]!;
  }
  out.growthSizes = `${largest} ÷ ${smallest}`;
}
console.log(JSON.stringify(out));
