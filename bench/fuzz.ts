/**
 * Fuzzed slash command texts through the dispatcher (the path every slash command, button and console line
 * takes), on a fresh SQLite database and, with --postgres URL (or BENCH_POSTGRES_URL), on a fresh database
 * created on that server and dropped after. Texts come from a seeded generator, so a run repeats exactly.
 * Prints, per dialect, how many texts gave an internal error ("Something went wrong") or threw out of the
 * dispatcher (a crash), then one JSON line for the bench harness.
 *
 *   npx tsx bench/fuzz.ts [--sqlite 10000] [--postgres-texts 2000] [--seed 12] [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { COMMANDS } from "../commands/index.ts";
import { FakeClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/data/database.ts";
import { migrate } from "../src/data/migrate.ts";
import { findOperatorByEmail, operatorActor } from "../src/data/operators.ts";
import { seededRandom } from "../src/data/seed.ts";
import { openRuntime } from "../src/runtime.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../test/support/fixtures.ts";
import { fuzzTexts, runFuzz, type FuzzOutcome } from "../test/support/fuzz.ts";
import { COMMAND_SAMPLES } from "../test/permissions/command-samples.ts";

const { values } = parseArgs({
  options: {
    sqlite: { type: "string", default: "10000" },
    "postgres-texts": { type: "string", default: "2000" },
    seed: { type: "string", default: "12" },
    postgres: { type: "string" },
  },
});
const seed = Number(values.seed);
const postgresServer = values.postgres?.trim() || process.env.BENCH_POSTGRES_URL?.trim() || undefined;

/** Fuzzes `count` texts on a fresh database at `url`, as an admin (every argument is read, nothing is refused early). */
async function fuzzOn(url: string, count: number): Promise<FuzzOutcome> {
  const db = openDatabase(url);
  await migrate(db);
  await loadWorld(db);
  await addIntegrations(db, [
    { id: "int_1", name: "HubSpot 100% sync_all" },
    { id: "int_2", name: "Salesforce \\ nightly", configurationId: "cfg_2", flowId: "flow_2" },
    { id: "int_3", name: "Partner ' export", configurationId: "cfg_3", status: "disabled" },
  ]);
  await addRuns(db, [{ id: "r_1", integrationId: "int_1", status: "error", startedAt: new Date("2026-11-19T00:00:00Z"), finishedAt: new Date("2026-11-19T00:01:00Z"), error: "401" }]);
  const messages = { post: async (channel: string) => ({ channel, ts: "1.1" }), update: async () => undefined };
  const directory = { emailOf: async () => undefined, membersOf: async () => [] };
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: "silent", HOUSEKEEPING_CHANNEL: "C0HOUSE" });
  const runtime = await openRuntime(config, { db, clock: new FakeClock(new Date("2026-11-20T12:00:00Z")), messages, directory, commands: COMMANDS });
  const operator = await findOperatorByEmail(db, WORLD.operators.admin.email);
  const actor = await operatorActor(db, operator!);
  const commands = COMMANDS.map((command) => ({ name: command.name, sample: COMMAND_SAMPLES[command.name]?.args ?? "" }));
  try {
    return await runFuzz(runtime.dispatcher, actor, fuzzTexts(seededRandom(seed), count, commands, "int_1"));
  } finally {
    await runtime.close();
    await db.close();
  }
}

function print(dialect: string, outcome: FuzzOutcome): void {
  console.log(`${dialect}: ${outcome.texts} texts in ${(outcome.ms / 1000).toFixed(1)} s: ${outcome.crashes} crashes, ${outcome.internalErrors} internal errors`);
  for (const example of outcome.examples) console.log(`  ${JSON.stringify(example)}`);
}

const figures: Record<string, number> = {};
const dir = mkdtempSync(join(tmpdir(), "embedops-fuzz-"));
// `export` leaves its CSV under the temporary folder as its answer: the fuzz runs it thousands of times.
const previousTmpdir = process.env.TMPDIR;
process.env.TMPDIR = dir;
try {
  const sqlite = await fuzzOn(`sqlite:${join(dir, "fuzz.sqlite")}`, Number(values.sqlite));
  print("sqlite", sqlite);
  Object.assign(figures, { sqliteTexts: sqlite.texts, sqliteCrashes: sqlite.crashes, sqliteInternalErrors: sqlite.internalErrors, sqliteMsPerText: sqlite.ms / sqlite.texts });
} finally {
  if (!postgresServer) rmSync(dir, { recursive: true, force: true });
}
if (postgresServer) {
  const name = `embedops_fuzz_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: postgresServer });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(postgresServer);
    url.pathname = `/${name}`;
    const postgres = await fuzzOn(url.toString(), Number(values["postgres-texts"]));
    print("postgres", postgres);
    Object.assign(figures, { postgresTexts: postgres.texts, postgresCrashes: postgres.crashes, postgresInternalErrors: postgres.internalErrors, postgresMsPerText: postgres.ms / postgres.texts });
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}
if (previousTmpdir === undefined) delete process.env.TMPDIR;
else process.env.TMPDIR = previousTmpdir;
console.log(JSON.stringify(figures));
