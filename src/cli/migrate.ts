import { loadConfig } from "../config.ts";
import { openDatabase } from "../data/database.ts";
import { migrate } from "../data/migrate.ts";
import type { CliCommand } from "./cli-command.ts";

/** `embedops migrate`: applies pending migrations. */
export const migrateCommand: CliCommand = {
  name: "migrate",
  usage: "embedops migrate",
  summary: "Apply pending database migrations.",
  async run(args, io) {
    if (args.length) throw new Error(`migrate takes no arguments (got ${args.join(" ")})`);
    const db = openDatabase(loadConfig(io.env).databaseUrl);
    try {
      const applied = await migrate(db);
      io.stdout.write(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}\n` : "The database is up to date.\n");
      return 0;
    } finally {
      await db.close();
    }
  },
};
