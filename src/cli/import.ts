import { readFile } from "node:fs/promises";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../data/database.ts";
import { formatProblem, importData, ImportError, parseImportText, summary } from "../data/import.ts";
import { migrate } from "../data/migrate.ts";
import { setLogLevel } from "../log.ts";
import { terminalLogLevel, type CliCommand } from "./cli-command.ts";

/** At most this many problems are printed; the rest are counted. */
const SHOWN_PROBLEMS = 20;

/** `embedops import FILE.json`: upserts the import format in one transaction, all or nothing. */
export const importCommand: CliCommand = {
  name: "import",
  usage: "embedops import FILE.json",
  summary: "Upsert groups, configurations, flows, integrations, runs, auths, operators and grants from a JSON file.",
  async run(args, io) {
    if (args.length !== 1 || args[0]!.startsWith("-")) {
      io.stderr.write(`embedops import: give one JSON file; usage: ${this.usage}\n`);
      return 2;
    }
    const path = args[0]!;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      io.stderr.write(`embedops import: cannot read ${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? "unreadable")}\n`);
      return 2;
    }
    const config = loadConfig(io.env);
    setLogLevel(terminalLogLevel(io.env, config.logLevel));
    let json: unknown;
    try {
      json = parseImportText(text);
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      const problem = error.problems[0]!;
      io.stderr.write(`embedops import: ${path} ${problem.message}${problem.hint ? `: ${problem.hint}` : ""}\n`);
      return 2;
    }
    const db = openDatabase(config.databaseUrl);
    try {
      await migrate(db);
      const counts = await importData(db, json, { now: new Date(), timeZone: config.timeZone });
      io.stdout.write(`Imported ${path}: ${summary(counts)}\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      const { problems } = error;
      io.stderr.write(`embedops import: ${path} was refused, nothing was written: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n`);
      for (const problem of problems.slice(0, SHOWN_PROBLEMS)) io.stderr.write(`  ${formatProblem(problem)}\n`);
      if (problems.length > SHOWN_PROBLEMS) io.stderr.write(`  … and ${problems.length - SHOWN_PROBLEMS} more\n`);
      return 2;
    } finally {
      await db.close();
    }
  },
};
