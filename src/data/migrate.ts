import type { QueryInterface, Transaction } from "sequelize";
import { Umzug, SequelizeStorage } from "umzug";
import type { Database } from "./database.ts";
import * as initialSchema from "./migrations/2026112101-initial-schema.ts";
import * as housekeepingErrorRuns from "./migrations/2026112102-housekeeping-error-runs.ts";
import * as flowRunRequester from "./migrations/2026113001-flow-run-requester.ts";
import * as outboxAndLeaseExpiry from "./migrations/2026120101-outbox-and-lease-expiry.ts";
import * as batches from "./migrations/2026120103-batches.ts";
import * as incidents from "./migrations/2026120104-incidents.ts";
import * as healthVerdict from "./migrations/2026120201-health-verdict.ts";
import * as dropSlackPosts from "./migrations/2026120202-drop-slack-posts.ts";
import * as runDays from "./migrations/2026120203-run-days.ts";
import * as findingsIndex from "./migrations/2026120204-findings-index.ts";
import * as healthGroupIndex from "./migrations/2026120205-health-group-index.ts";
import * as userIndex from "./migrations/2026120206-user-index.ts";

/** One migration: a name that sorts by date, and its up and down steps over the query interface. */
interface Migration {
  name: string;
  up(params: { context: QueryInterface }): Promise<void>;
  down(params: { context: QueryInterface }): Promise<void>;
}

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  { name: "2026112101-initial-schema", ...initialSchema },
  { name: "2026112102-housekeeping-error-runs", ...housekeepingErrorRuns },
  { name: "2026113001-flow-run-requester", ...flowRunRequester },
  { name: "2026120101-outbox-and-lease-expiry", ...outboxAndLeaseExpiry },
  { name: "2026120103-batches", ...batches },
  { name: "2026120104-incidents", ...incidents },
  { name: "2026120201-health-verdict", ...healthVerdict },
  { name: "2026120202-drop-slack-posts", ...dropSlackPosts },
  { name: "2026120203-run-days", ...runDays },
  { name: "2026120204-findings-index", ...findingsIndex },
  { name: "2026120205-health-group-index", ...healthGroupIndex },
  { name: "2026120206-user-index", ...userIndex },
];

/** The PostgreSQL advisory lock key the migration run holds ("embedops" in ASCII), so replicas migrate one at a time. */
const MIGRATION_LOCK_KEY = 0x656d6265646f7073n;

/** A migration that failed: which one and why; it and everything after it were left unapplied. */
export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${migration} failed, nothing of it was applied: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "MigrationError";
  }
}

/** The query interface with every statement sent inside `transaction` (migrations are written without one). */
function inTransaction(qi: QueryInterface, transaction: Transaction): QueryInterface {
  const sequelize = qi.sequelize;
  const query = (sql: unknown, options: Record<string, unknown> = {}) => sequelize.query(sql as string, { ...options, transaction: (options.transaction as Transaction | undefined) ?? transaction });
  const bound = new Proxy(sequelize, { get: (target, key) => (key === "query" ? query : Reflect.get(target, key, target)) });
  const child = Object.create(qi) as QueryInterface;
  Object.defineProperty(child, "sequelize", { value: bound });
  return child;
}

/**
 * The umzug instance over the database, its state kept in the SequelizeMeta table. Each migration runs in one
 * transaction together with its SequelizeMeta row: one that fails leaves neither its changes nor its row.
 */
function migrator(db: Database, migrations: readonly Migration[] = MIGRATIONS): Umzug<QueryInterface> {
  const context = db.sequelize.getQueryInterface();
  const storage = new SequelizeStorage({ sequelize: db.sequelize });
  const meta = storage.model as unknown as { create(values: { name: string }, options: { transaction: Transaction }): Promise<unknown> };
  // The row is written inside the migration's own transaction, below; umzug's own write after it has nothing to do.
  storage.logMigration = async () => undefined;
  return new Umzug({
    migrations: migrations.map((migration) => ({
      name: migration.name,
      up: async () => {
        try {
          await db.sequelize.transaction(async (transaction) => {
            await migration.up({ context: inTransaction(context, transaction) });
            await meta.create({ name: migration.name }, { transaction });
          });
        } catch (error) {
          throw new MigrationError(migration.name, error);
        }
      },
      down: () => migration.down({ context }),
    })),
    context,
    storage,
    logger: undefined,
  });
}

/** Runs `work` holding the PostgreSQL migration lock on a connection of its own; on SQLite, at once (one writer anyway). */
async function holdingMigrationLock<T>(db: Database, work: () => Promise<T>): Promise<T> {
  if (db.dialect !== "postgres") return work();
  type PgConnection = { query(sql: string, values?: unknown[]): Promise<unknown> };
  const manager = (db.sequelize as unknown as { connectionManager: { getConnection(): Promise<PgConnection>; releaseConnection(connection: PgConnection): Promise<void> } }).connectionManager;
  const connection = await manager.getConnection();
  try {
    // Another replica migrating holds it: this one waits, then finds nothing pending.
    await connection.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    try {
      return await work();
    } finally {
      await connection.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await manager.releaseConnection(connection);
  }
}

/** Applies pending migrations, one process at a time per database; returns the names applied. */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  return holdingMigrationLock(db, async () => {
    try {
      const applied = await migrator(db, migrations).up();
      // SQLite plans without statistics until something gathers them: without them it walks every failing
      // integration of the platform for `list failing` in a few groups. `optimize` analyzes the tables never
      // analyzed, or grown many times since (a no-op on most starts).
      if (db.dialect === "sqlite") await db.sequelize.query("PRAGMA optimize=0x10002");
      return applied.map((migration) => migration.name);
    } catch (error) {
      // umzug wraps the failure in its own error; ours says which migration and that nothing of it stayed.
      let cause: unknown = error;
      while (cause instanceof Error && !(cause instanceof MigrationError)) cause = cause.cause;
      throw cause instanceof MigrationError ? cause : error;
    }
  });
}
