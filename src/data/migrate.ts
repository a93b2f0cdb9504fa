import { Umzug, SequelizeStorage } from "umzug";
import type { Database } from "./database.ts";
import * as initialSchema from "./migrations/2026112101-initial-schema.ts";
import * as housekeepingErrorRuns from "./migrations/2026112102-housekeeping-error-runs.ts";

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
const MIGRATIONS = [
  { name: "2026112101-initial-schema", ...initialSchema },
  { name: "2026112102-housekeeping-error-runs", ...housekeepingErrorRuns },
];

/** The umzug instance over the database, its state kept in the SequelizeMeta table. */
export function migrator(db: Database): Umzug<ReturnType<Database["sequelize"]["getQueryInterface"]>> {
  const context = db.sequelize.getQueryInterface();
  return new Umzug({
    migrations: MIGRATIONS.map((migration) => ({
      name: migration.name,
      up: () => migration.up({ context }),
      down: () => migration.down({ context }),
    })),
    context,
    storage: new SequelizeStorage({ sequelize: db.sequelize }),
    logger: undefined,
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(db: Database): Promise<string[]> {
  const applied = await migrator(db).up();
  return applied.map((migration) => migration.name);
}
