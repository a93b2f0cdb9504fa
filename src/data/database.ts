import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Sequelize, Transaction, type Options } from "sequelize";
import { initModels, type Models } from "./models/index.ts";

/** The open database: Sequelize, its models and which dialect it speaks. */
export interface Database {
  sequelize: Sequelize;
  models: Models;
  dialect: "sqlite" | "postgres";
  close(): Promise<void>;
}

/** A SQLite connection as the sqlite3 driver gives it. */
type SqliteConnection = { exec(sql: string, done: (error: Error | null) => void): void };

/**
 * Runs `pragmas` once on every SQLite connection before its first statement. Sequelize's SQLite connection
 * manager opens connections itself (one shared, one per transaction) without its pool, so afterConnect hooks
 * never run there: without this, WAL, busy_timeout and synchronous would silently stay at SQLite's defaults,
 * and readers and writers would block each other.
 */
function preparePerConnection(sequelize: Sequelize, pragmas: string): void {
  const manager = (sequelize as unknown as { connectionManager: { getConnection(options?: unknown): Promise<SqliteConnection> } }).connectionManager;
  const open = manager.getConnection.bind(manager);
  const prepared = new WeakMap<SqliteConnection, Promise<void>>();
  manager.getConnection = async (options?: unknown) => {
    const connection = await open(options);
    let ready = prepared.get(connection);
    if (!ready) {
      ready = new Promise<void>((resolve, reject) => connection.exec(pragmas, (error) => (error ? reject(error) : resolve())));
      prepared.set(connection, ready);
    }
    await ready;
    return connection;
  };
}

/**
 * Queues this process's SQLite transactions one behind the other. SQLite has one writer at a time; left to its
 * busy handler, each waiting transaction sleeps inside one of libuv's four worker threads, and four waiters starve
 * the transaction that holds the lock until busy_timeout runs out. Queued in JavaScript they hold no thread.
 * busy_timeout still covers other processes (the CLI beside the bot). A transaction opened inside another
 * runs at once rather than waiting for itself.
 */
function serializeTransactions(sequelize: Sequelize): void {
  const inside = new AsyncLocalStorage<boolean>();
  const original = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  (sequelize as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args: unknown[]) => {
    const managed = args.some((arg) => typeof arg === "function");
    if (!managed || inside.getStore()) return original(...args);
    const run = tail.then(() => inside.run(true, () => original(...args)));
    tail = run.catch(() => undefined);
    return run;
  };
}

/** How a database is opened, beyond its URL. */
export interface OpenOptions {
  /** Called with the text of every statement sent, as the database receives it (bound values are not in it). */
  onStatement?: (sql: string) => void;
}

/** Opens DATABASE_URL (sqlite:PATH, sqlite::memory:, postgres://…) and defines the models; does not migrate. */
export function openDatabase(url: string, options: OpenOptions = {}): Database {
  const { onStatement } = options;
  const base: Options = {
    logging: onStatement ? (sql: string) => onStatement(sql) : false,
    define: { underscored: true, freezeTableName: true },
  };
  let sequelize: Sequelize;
  let dialect: Database["dialect"];
  if (url.startsWith("sqlite:")) {
    const storage = url.slice("sqlite:".length);
    if (storage !== ":memory:") mkdirSync(dirname(storage), { recursive: true });
    dialect = "sqlite";
    sequelize = new Sequelize({
      ...base,
      dialect: "sqlite",
      storage,
      // IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of failing.
      transactionType: Transaction.TYPES.IMMEDIATE,
      retry: { match: [/SQLITE_BUSY/], max: 10 },
    });
    serializeTransactions(sequelize);
    preparePerConnection(sequelize, "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  } else {
    dialect = "postgres";
    sequelize = new Sequelize(url, {
      ...base,
      dialect: "postgres",
      pool: { max: 10, min: 0, idle: 10_000 },
    });
  }
  const models = initModels(sequelize);
  return {
    sequelize,
    models,
    dialect,
    close: () => sequelize.close(),
  };
}

/** Asks the database for the simplest answer: resolves when it is reachable. */
export async function ping(db: Database): Promise<void> {
  await db.sequelize.query("SELECT 1");
}

/**
 * Opens `connections` pool connections at once (PostgreSQL; SQLite has one) and runs a first statement on each,
 * so the first burst of requests after start-up finds them open instead of connecting one by one.
 */
export async function warmPool(db: Database, connections = 10): Promise<void> {
  const count = db.dialect === "postgres" ? connections : 1;
  await Promise.all(Array.from({ length: count }, () => db.sequelize.query("SELECT 1")));
}
