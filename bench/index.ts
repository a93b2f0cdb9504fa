/**
 * `npm run bench [-- --quick] [-- flags]`: measures embedops against what bounds it and prints a table of figures.
 * Never part of `npm test`. BENCHMARKS.md says what each figure means and holds the latest full run.
 */
import { cpus, freemem, totalmem } from "node:os";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { growthSection } from "./growth.ts";
import { loadSection } from "./load.ts";
import { memorySection } from "./memory.ts";
import { setLogLevel } from "../src/log.ts";
import { formatTable, type Figure } from "./report.ts";
import { BENCH_DATA_DIR, ensureScaleDatabase, type ScaleDatabase, type ScaleSizes } from "./scale-db.ts";
import { scriptSection } from "./script-section.ts";
import type { BenchContext, BenchOptions, Section } from "./section.ts";
import { SlackStandIn } from "./slack-stand-in.ts";
import { slashSection } from "./slash.ts";
import { startupSection } from "./startup.ts";
import { warmStartSection } from "./warm-start.ts";

/** Reads the text bench/housekeeping-scan.ts prints (medians, ratio, whether both sets are equal). */
function parseHousekeepingScan(output: string): Record<string, unknown> {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(output);
    return match ? Number(match[1]!.replace(/,/g, "")) : undefined;
  };
  const same = /same set as the hand-written query: (\S+)/.exec(output)?.[1];
  const parsed = {
    scanMs: number(/housekeeping scan[^\n]*median ([\d.]+) ms/),
    handMs: number(/hand-written query[^\n]*median ([\d.]+) ms/),
    ratio: number(/ratio: ([\d.]+)×/),
    findings: number(/findings: ([\d,]+)/),
    same: same === undefined ? undefined : same === "yes",
  };
  return Object.fromEntries(Object.entries(parsed).filter(([, value]) => value !== undefined));
}

/** Every section, in the order they run (readers before writers). Wiring a new one is one line here. */
const SECTIONS: Section[] = [
  slashSection,
  scriptSection({
    key: "housekeeping",
    title: "2. Housekeeping scan vs hand-written SQL",
    label: "2 housekeeping",
    script: "housekeeping-scan.ts",
    // The harness builds (or reuses) the scale database first; the script then reuses it.
    args: async (ctx) => {
      const scale = await ctx.mainScale();
      return ["--integrations", String(scale.meta.integrations), "--runs", String(scale.meta.runsPerIntegration), "--repeat", ctx.options.quick ? "3" : "5"];
    },
    parse: parseHousekeepingScan,
    figures: [
      { key: "scanMs", name: "housekeeping scan: median", unit: "ms" },
      { key: "handMs", name: "hand-written SQL: median", unit: "ms" },
      { key: "ratio", name: "scan ÷ hand-written", unit: "×", target: { text: "≤ 1.5×", met: (value) => value <= 1.5 } },
      { key: "findings", name: "integrations found (same set in both)", unit: "" },
    ],
    mustBeTrue: ["same"],
  }),
  scriptSection({
    key: "ingest",
    title: "3. Run event ingestion through POST /api/runs",
    label: "3 ingest",
    script: "ingest.ts",
    args: (ctx) => (ctx.options.quick ? ["--batches", "5", "--integrations", "1000"] : ["--batches", "40", "--integrations", "2000"]),
    figures: [
      { key: "eventsPerSecond", name: "POST /api/runs, batches of 1000", unit: "events/s", target: { text: "≥ 5,000/s", met: (value) => value >= 5000 } },
      { key: "rawEventsPerSecond", name: "raw upserts of the same rows, same driver, one transaction", unit: "events/s" },
      { key: "timeRatioApiToRaw", name: "API time ÷ raw time", unit: "×" },
    ],
  }),
  growthSection,
  memorySection,
  loadSection,
  scriptSection({
    key: "fuzz",
    title: "7. Fuzzed slash command texts through the dispatcher",
    label: "7 fuzz",
    script: "fuzz.ts",
    // PostgreSQL too when --database-url (or BENCH_POSTGRES_URL) names a server (a fresh database is created there and dropped after).
    args: (ctx) => [
      ...(ctx.options.quick ? ["--sqlite", "1000", "--postgres-texts", "200"] : ["--sqlite", "10000", "--postgres-texts", "2000"]),
      ...(ctx.options.databaseUrl?.startsWith("postgres") ? ["--postgres", ctx.options.databaseUrl] : []),
    ],
    figures: [
      { key: "sqliteTexts", name: "SQLite: fuzzed texts", unit: "" },
      { key: "sqliteCrashes", name: "SQLite: crashes", unit: "", target: { text: "0", met: (value) => value === 0 } },
      { key: "sqliteInternalErrors", name: "SQLite: internal errors", unit: "", target: { text: "0", met: (value) => value === 0 } },
      { key: "postgresTexts", name: "PostgreSQL: fuzzed texts", unit: "" },
      { key: "postgresCrashes", name: "PostgreSQL: crashes", unit: "", target: { text: "0", met: (value) => value === 0 } },
      { key: "postgresInternalErrors", name: "PostgreSQL: internal errors", unit: "", target: { text: "0", met: (value) => value === 0 } },
    ],
  }),
  startupSection,
  scriptSection({
    key: "bulk",
    title: "9. A bulk run through the batch engine, flow engine answering in 50 ms",
    label: "9 bulk",
    script: "bulk.ts",
    args: (ctx) => (ctx.options.quick ? ["--integrations", "1000"] : ["--integrations", "10000"]),
    figures: [
      { key: "membersPerSecond", name: "bulk run: members per second (BULK_CONCURRENCY 4)", unit: "members/s" },
      { key: "seconds", name: "bulk run: whole batch", unit: "s" },
      { key: "floorSeconds", name: "floor: members × 50 ms ÷ 4", unit: "s" },
      { key: "slackUpdates", name: "summary chat.update calls for the whole batch", unit: "calls", target: { text: "≤ 200 (one per 5 s, not one per member)", met: (value) => value <= 200 } },
      { key: "maxInFlight", name: "run requests in flight at most", unit: "", target: { text: "≤ 4", met: (value) => value <= 4 } },
    ],
  }),
  scriptSection({
    key: "incidents",
    title: "10. Incidents: one message per outage, `incidents` as the fleet grows",
    label: "10 incidents",
    script: "incidents.ts",
    // The growth section's databases (10k, 100k, 1M by default), reused when they are there.
    args: (ctx) => ["--sizes", ctx.options.growth.join(","), "--runs", String(ctx.options.growthRuns), "--repeat", ctx.options.quick ? "10" : "30"],
    figures: [
      { key: "mostMessagesInOneFiring", name: "300 copies failing with one error: most Slack messages in one firing", unit: "", target: { text: "= 1", met: (value) => value === 1 } },
      { key: "messagesFirstFiring", name: "messages of the firing that found the outage", unit: "" },
      { key: "firstFiringMs", name: "that firing's time", unit: "ms" },
      { key: "incidentsAdminMs_10k", name: "10k: incidents (admin): median", unit: "ms" },
      { key: "incidentsAdminMs_100k", name: "100k: incidents (admin): median", unit: "ms" },
      { key: "incidentsAdminMs_1M", name: "1M: incidents (admin): median", unit: "ms" },
      { key: "incidentsGrowth", name: "incidents: largest ÷ smallest fleet (median)", unit: "×", target: { text: "≤ 2×", met: (value) => value <= 2 } },
    ],
    mustBeTrue: ["saidIncident"],
  }),
  scriptSection({
    key: "health",
    title: "11. Kept health verdicts: list failing, list overdue and incidents as the fleet grows",
    label: "11 health",
    script: "health.ts",
    // The growth section's databases (10k, 100k, 1M by default), reused when they are there; PostgreSQL too with BENCH_POSTGRES_URL.
    args: (ctx) => ["--sizes", ctx.options.growth.join(","), "--runs", String(ctx.options.growthRuns), "--repeat", ctx.options.quick ? "10" : "20"],
    figures: [
      { key: "listFailingGrowth_sqlite", name: "list failing: largest ÷ smallest fleet (median)", unit: "×", target: { text: "≤ 2×", met: (value) => value <= 2 } },
      { key: "listOverdueGrowth_sqlite", name: "list overdue: largest ÷ smallest fleet (median)", unit: "×", target: { text: "≤ 2×", met: (value) => value <= 2 } },
      { key: "incidentsGrowth_sqlite", name: "incidents: largest ÷ smallest fleet (median)", unit: "×", target: { text: "≤ 2×", met: (value) => value <= 2 } },
      { key: "scanMsLargest_sqlite", name: "housekeeping scan at the largest fleet (median)", unit: "ms", target: { text: "< 1,000 ms", met: (value) => value < 1000 } },
      { key: "scanRatioLargest_sqlite", name: "housekeeping scan ÷ reading the kept verdicts", unit: "×", target: { text: "≤ 1.5×", met: (value) => value <= 1.5 } },
    ],
  }),
  warmStartSection,
];

const USAGE = `npm run bench -- [--quick] [--integrations N] [--runs-per-integration M] [--requests N] [--warmup N] [--kind-budget SECONDS] [--growth 10000,100000,1000000]
  [--growth-runs M] [--memory-requests N] [--concurrency N] [--waves N] [--sections ${SECTIONS.map((s) => s.key).join(",")}]
  [--cpu-prof] [--builder sql|seed] [--rebuild] [--json PATH] [--database-url postgres://… (default BENCH_POSTGRES_URL)]`;

function whole(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} takes a whole number of at least ${min} (got ${JSON.stringify(value)})`);
  return Number(value);
}

/** Reads the flags; --quick changes the defaults to small data, every flag still wins. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      integrations: { type: "string" },
      "runs-per-integration": { type: "string" },
      requests: { type: "string" },
      warmup: { type: "string" },
      "kind-budget": { type: "string" },
      growth: { type: "string" },
      "growth-runs": { type: "string" },
      "memory-requests": { type: "string" },
      concurrency: { type: "string" },
      waves: { type: "string" },
      "batch-size": { type: "string" },
      sections: { type: "string" },
      "cpu-prof": { type: "boolean", default: false },
      builder: { type: "string", default: "sql" },
      rebuild: { type: "boolean", default: false },
      json: { type: "string" },
      "database-url": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length) throw new Error(`unexpected argument ${positionals[0]}; usage:\n${USAGE}`);
  const quick = values.quick;
  const growth = (values.growth ?? (quick ? "1000,2000,4000" : "10000,100000,1000000")).split(",").map((part) => whole("growth", part.trim(), 0));
  const sections = (values.sections ?? SECTIONS.map((section) => section.key).join(",")).split(",").map((part) => part.trim());
  for (const key of sections) if (!SECTIONS.some((section) => section.key === key)) throw new Error(`--sections: no section ${key}; there are ${SECTIONS.map((s) => s.key).join(", ")}`);
  if (!["seed", "sql"].includes(values.builder)) throw new Error("--builder takes sql or seed");
  return {
    quick,
    scale: { integrations: whole("integrations", values.integrations, quick ? 2000 : 100_000), runsPerIntegration: whole("runs-per-integration", values["runs-per-integration"], quick ? 10 : 50, 0) },
    requests: whole("requests", values.requests, quick ? 30 : 200),
    warmup: whole("warmup", values.warmup, quick ? 3 : 10, 0),
    kindBudgetSeconds: whole("kind-budget", values["kind-budget"], quick ? 5 : 60),
    growth,
    growthRuns: whole("growth-runs", values["growth-runs"], quick ? 3 : 5, 0),
    memoryRequests: whole("memory-requests", values["memory-requests"], quick ? 40 : 200),
    concurrency: whole("concurrency", values.concurrency, 50),
    waves: whole("waves", values.waves, quick ? 2 : 10),
    batchSize: whole("batch-size", values["batch-size"], 1000),
    cpuProf: values["cpu-prof"],
    builder: values.builder as BenchOptions["builder"],
    rebuild: values.rebuild,
    sections,
    json: values.json,
    databaseUrl: values["database-url"]?.trim() || process.env.BENCH_POSTGRES_URL?.trim() || undefined,
  };
}

/** The machine the figures were taken on. */
function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpus().length} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory (${(freemem() / 2 ** 30).toFixed(1)} free), Node ${process.version}, ${process.platform}`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  // The harness's own log (seeding, imports) would mix with the figures; the measured processes log as in production.
  setLogLevel("warn");
  const started = Date.now();
  const progress = (message: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
  const standIn = await new SlackStandIn().start();
  const profileRoot = join(BENCH_DATA_DIR, "profiles");
  if (options.cpuProf) rmSync(profileRoot, { recursive: true, force: true });
  const scales = new Map<string, Promise<ScaleDatabase>>();
  const builds: string[] = [];
  const scale = (sizes: ScaleSizes) => {
    const key = `${sizes.integrations}/${sizes.runsPerIntegration}`;
    if (!scales.has(key)) {
      scales.set(
        key,
        (async () => {
          progress(`scale database: ${sizes.integrations.toLocaleString("en")} integrations × ${sizes.runsPerIntegration} runs`);
          const db = await ensureScaleDatabase(sizes, { builder: options.builder, rebuild: options.rebuild, onProgress: (message) => progress(`  ${message}`) });
          const how = db.built ? `built in ${(db.meta.builtInMs / 1000).toFixed(1)} s` : `reused (built ${db.meta.builtAt} in ${(db.meta.builtInMs / 1000).toFixed(1)} s)`;
          builds.push(`${db.meta.integrations.toLocaleString("en")} integrations, ${db.meta.runs.toLocaleString("en")} flow runs, ${db.meta.groups} groups (${db.meta.builder}): ${how}`);
          progress(`  ${how}`);
          return db;
        })(),
      );
    }
    return scales.get(key)!;
  };
  const ctx: BenchContext = {
    options,
    standIn,
    mainScale: () => scale(options.scale),
    scale,
    profileDir: (section) => (options.cpuProf ? join(profileRoot, section) : undefined),
    progress,
    notes: [],
  };
  const figures: Figure[] = [];
  const failures: string[] = [];
  try {
    for (const section of SECTIONS.filter((s) => options.sections.includes(s.key))) {
      progress(section.title);
      const sectionStart = Date.now();
      try {
        figures.push(...(await section.run(ctx)));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push(`${section.title}: ${message}`);
        figures.push({ section: section.key, name: section.title, value: "FAILED", unit: "", note: message.split("\n")[0] });
      }
      progress(`  ${section.key} took ${((Date.now() - sectionStart) / 1000).toFixed(1)} s`);
    }
  } finally {
    await standIn.stop();
  }
  const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim();
  const out = process.stdout;
  out.write(`\nembedops benchmark — ${new Date().toISOString()}\n`);
  out.write(`machine: ${machine()}\n`);
  out.write(`command: ${command}\n`);
  for (const line of builds) out.write(`scale database: ${line}\n`);
  out.write(`\n${formatTable(figures)}\n`);
  if (ctx.notes.length) out.write(`\n${ctx.notes.join("\n")}\n`);
  const missed = figures.filter((figure) => figure.met === false);
  out.write(`\n${figures.filter((f) => f.met === true).length} targets met, ${missed.length} missed; ${failures.length} sections failed; ${((Date.now() - started) / 1000).toFixed(1)} s in all\n`);
  for (const failure of failures) out.write(`FAILED ${failure}\n`);
  const jsonPath = options.json ?? join(BENCH_DATA_DIR, "last-run.json");
  mkdirSync(BENCH_DATA_DIR, { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), command, options, scaleDatabases: builds, figures, notes: ctx.notes, failures }, null, 2)}\n`);
  // Missed targets are findings, not harness failures: the run is green when every section measured.
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
