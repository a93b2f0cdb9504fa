import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../data/database.ts";
import { summary } from "../data/import.ts";
import { migrate } from "../data/migrate.ts";
import { seedDemo, seedScale } from "../data/seed.ts";
import { badInput } from "../errors.ts";
import { setLogLevel } from "../log.ts";
import { terminalLogLevel, type CliCommand } from "./cli-command.ts";

/** A whole number of at least `min` from a flag, or a one-line reason. */
function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw badInput(`--${flag} takes a whole number of at least ${min} (got ${JSON.stringify(value)})`);
  return Number(value);
}

/** `embedops seed --demo [--integrations N] [--runs-per-integration M]`: demo data, or scale data with bulk inserts. */
export const seedCommand: CliCommand = {
  name: "seed",
  usage: "embedops seed --demo [--integrations N] [--runs-per-integration M]",
  summary: "Load the demo data; with --integrations, also N scale integrations with M runs each (default 50).",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { demo: { type: "boolean" }, integrations: { type: "string" }, "runs-per-integration": { type: "string" } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw badInput(`seed takes no arguments (got ${positionals.join(" ")}); usage: ${this.usage}`);
    if (!values.demo) throw badInput(`say --demo to load demo data; usage: ${this.usage}`);
    const integrations = count("integrations", values.integrations, 1);
    const runsPerIntegration = count("runs-per-integration", values["runs-per-integration"], 0);
    if (runsPerIntegration !== undefined && integrations === undefined) throw badInput("--runs-per-integration needs --integrations N");
    const config = loadConfig(io.env);
    setLogLevel(terminalLogLevel(io.env, config.logLevel));
    const db = openDatabase(config.databaseUrl);
    try {
      await migrate(db);
      const now = new Date();
      const started = Date.now();
      const demo = await seedDemo(db, { now, timeZone: config.timeZone });
      io.stdout.write(`Demo data: ${summary(demo.counts)}${demo.disabled ? `; ${demo.disabled} integrations disabled` : ""}\n`);
      if (integrations !== undefined) {
        const perIntegration = runsPerIntegration ?? 50;
        const result = await seedScale(db, {
          integrations,
          runsPerIntegration: perIntegration,
          now,
          timeZone: config.timeZone,
          onProgress: (progress) => {
            const seconds = ((Date.now() - started) / 1000).toFixed(1);
            io.stdout.write(`  ${progress.integrations}/${progress.total} scale integrations, ${progress.runs} runs written (${seconds}s)\n`);
          },
        });
        const already = result.existing ? ` (${result.existing} were already there)` : "";
        io.stdout.write(`Scale data: ${result.integrations} integrations and ${result.runs} flow runs written${already}\n`);
      }
      io.stdout.write(`Done in ${((Date.now() - started) / 1000).toFixed(1)}s.\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
