import { COMMANDS } from "../commands/index.ts";
/**
 * Run events per second through POST /api/runs, batches of 1000, on SQLite (or, when BENCH_POSTGRES_URL
 * names a server, on a fresh database created there and dropped after): the real HTTP server and routes,
 * real signed JWTs, a fresh database.
 *
 *   npx tsx bench/ingest.ts [--batches 40] [--integrations 2000] [--concurrency 1]
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/ingest.ts
 *
 * Half of the events start runs, half finish runs started one batch earlier, so both inserts and
 * updates of stored runs (and of integrations' latest runs) are measured. Then the same rows are upserted raw
 * (same driver, one transaction, 1000-row statements, same indexes) as the floor: timeRatioApiToRaw is how many
 * times longer the API takes than that floor.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { apiRoutes } from "../src/api/index.ts";
import { createHttpServer } from "../src/api/http.ts";
import { signJwt } from "../src/domain/jwt.ts";
import { loadConfig } from "../src/config.ts";
import { consoleMessages } from "../src/console.ts";
import { openRuntime } from "../src/runtime.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "40" },
    integrations: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "1" },
  },
});
const batches = Number(values.batches);
const integrationCount = Number(values.integrations);
const concurrency = Number(values.concurrency);
const BATCH = 1000;
const SECRET = "bench-runs-secret";

const dir = mkdtempSync(join(tmpdir(), "embedops-ingest-"));
const postgresServer = process.env.BENCH_POSTGRES_URL?.trim() || undefined;
const postgresName = `embedops_ingest_${process.pid}`;
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresServer });
  await client.connect();
  await client.query(sql);
  await client.end();
}
let databaseUrl = `sqlite:${join(dir, "bench.sqlite")}`;
if (postgresServer) {
  await admin(`CREATE DATABASE ${postgresName}`);
  const url = new URL(postgresServer);
  url.pathname = `/${postgresName}`;
  databaseUrl = url.toString();
}
const config = loadConfig({ DATABASE_URL: databaseUrl, RUNS_API_SECRET: SECRET, PORT: "0", LOG_LEVEL: "silent" });
const sink = { write: () => true } as unknown as NodeJS.WritableStream;
const runtime = await openRuntime(config, { messages: consoleMessages(sink as never, config.slashCommand), commands: COMMANDS });
const { models } = runtime.db;

// A small world: one group, one configuration, one flow, many integrations.
const setupAt = new Date("2026-11-01T00:00:00Z");
await models.Group.create({ id: "g_bench", name: "Bench group", kind: "group" });
await models.EmbedConfiguration.create({ id: "cfg_bench", name: "Bench", groupId: "g_bench", sharingLevel: "user", secret: "x", proprietaryConnector: null });
await models.EmbedFlow.create({ id: "flow_bench", name: "Bench flow", url: null, trigger: "scheduler", triggerUrl: null });
for (let start = 0; start < integrationCount; start += 500) {
  await models.Integration.bulkCreate(
    Array.from({ length: Math.min(500, integrationCount - start) }, (_, k) => {
      const i = start + k;
      return {
        id: `int_${i}`, name: `Integration ${i}`, flowId: "flow_bench", configurationId: "cfg_bench", groupId: "g_bench", sharingLevel: "user" as const,
        activationKey: `cfg_bench|flow_bench|u:u_${i}`, embedUserId: `u_${i}`, embedAccountId: `acc_${i}`, embedUserName: null, embedAccountName: null,
        embedState: null, status: "enabled" as const, triggerUrl: null, statusChangedAt: null, statusChangedBy: null, disabledReason: null,
        latestRunId: null, latestRunStatus: null, latestRunAt: null, latestRunError: null, lastSuccessAt: null, failingSince: null,
        activityAt: setupAt, manualRunId: null, createdAt: setupAt, updatedAt: setupAt,
      };
    }),
  );
}

const server = createHttpServer(apiRoutes(runtime));
const port = await server.listen(0);
const token = await signJwt(SECRET, {}, { now: new Date(), expiresInSeconds: 3600 });

/** Batch b: 500 new `running` runs, and 500 runs of batch b-1 finishing (success or error). */
function integrationOf(n: number): string {
  return `int_${((n % integrationCount) + integrationCount) % integrationCount}`;
}

function batchBody(b: number): string {
  const events: Array<Record<string, unknown>> = [];
  const base = Date.parse("2026-11-02T00:00:00Z") + b * 60_000;
  for (let k = 0; k < BATCH / 2; k++) {
    const started = new Date(base + k).toISOString();
    events.push({ run_id: `run_${b}_${k}`, integration_id: integrationOf(b * 500 + k), status: "running", started_at: started, trigger: "scheduler" });
  }
  for (let k = 0; k < BATCH / 2; k++) {
    const previous = b - 1;
    const started = new Date(base - 60_000 + k).toISOString();
    const finished = new Date(base + 30_000 + k).toISOString();
    const ok = k % 4 !== 0;
    events.push({
      run_id: `run_${previous}_${k}`,
      integration_id: integrationOf(previous * 500 + k),
      status: ok ? "success" : "error",
      started_at: started,
      finished_at: finished,
      ...(ok ? {} : { error: "500 from the CRM" }),
    });
  }
  return JSON.stringify(events);
}

async function post(body: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/api/runs`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST /api/runs answered ${response.status}: ${text}`);
}

// Warm up (JIT, statement caches), then measure.
await post(batchBody(-1));
const bodies = Array.from({ length: batches }, (_, b) => batchBody(b));
const latencies: number[] = [];
const started = performance.now();
const cpuBefore = process.cpuUsage();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const t0 = performance.now();
      await post(body);
      latencies.push(performance.now() - t0);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
// CPU time of the whole process (HTTP client, server, and SQLite's worker threads): what the figure would be
// on an otherwise idle machine, since a request's work is serial; wall time suffers when other work shares the cores.
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
latencies.sort((a, b) => a - b);
const runs = await models.FlowRun.count();

// The floor: the same rows upserted through the same driver into a table with flow_runs' columns and indexes,
// in one transaction of 1000-row statements, with no HTTP, no validation and no latest-run bookkeeping.
const sequelize = runtime.db.sequelize;
await sequelize.query(`CREATE TABLE flow_runs_raw (id VARCHAR(255) PRIMARY KEY, integration_id VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL,
  "trigger" VARCHAR(16) NOT NULL, started_at ${runtime.db.dialect === "postgres" ? "TIMESTAMPTZ" : "DATETIME"} NOT NULL,
  finished_at ${runtime.db.dialect === "postgres" ? "TIMESTAMPTZ" : "DATETIME"}, error TEXT)`);
await sequelize.query("CREATE INDEX flow_runs_raw_integration_started ON flow_runs_raw (integration_id, started_at)");
await sequelize.query("CREATE INDEX flow_runs_raw_started ON flow_runs_raw (started_at)");
await sequelize.query("CREATE INDEX flow_runs_raw_errors ON flow_runs_raw (started_at, integration_id) WHERE status = 'error'");
const rawRows = bodies.map((body) => (JSON.parse(body) as Array<Record<string, string | undefined>>).map((e) => [e.run_id, e.integration_id, e.status, e.trigger ?? "scheduler", new Date(e.started_at!), e.finished_at ? new Date(e.finished_at) : null, e.error ?? null]));
const rawStarted = performance.now();
await sequelize.transaction(async (transaction) => {
  for (const rows of rawRows) {
    await sequelize.query(
      `INSERT INTO flow_runs_raw (id, integration_id, status, "trigger", started_at, finished_at, error) VALUES ${rows.map(() => "(?)").join(", ")}
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, error = excluded.error`,
      { replacements: rows, transaction },
    );
  }
});
const rawSeconds = (performance.now() - rawStarted) / 1000;
console.log(
  JSON.stringify({
    database: runtime.db.dialect,
    batches,
    batchSize: BATCH,
    concurrency,
    integrations: integrationCount,
    events: batches * BATCH,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round((batches * BATCH) / seconds),
    cpuSeconds: Number(cpuSeconds.toFixed(2)),
    eventsPerCpuSecond: Math.round((batches * BATCH) / cpuSeconds),
    batchMs: { p50: Math.round(latencies[Math.floor(latencies.length / 2)]!), p95: Math.round(latencies[Math.floor(latencies.length * 0.95)]!), max: Math.round(latencies.at(-1)!) },
    storedRuns: runs,
    rawEventsPerSecond: Math.round((batches * BATCH) / rawSeconds),
    timeRatioApiToRaw: Number((seconds / rawSeconds).toFixed(2)),
  }),
);
await server.close();
await runtime.close();
rmSync(dir, { recursive: true, force: true });
if (postgresServer) await admin(`DROP DATABASE IF EXISTS ${postgresName} WITH (FORCE)`);
