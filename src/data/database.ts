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
 * runs at once rather than waiting for itself. `writer`, when given, lends its connection to each queued
 * transaction in turn.
 */
function serializeTransactions(sequelize: Sequelize, writer?: WriterConnection): void {
  const inside = new AsyncLocalStorage<boolean>();
  const original = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  (sequelize as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args: unknown[]) => {
    const managed = args.some((arg) => typeof arg === "function");
    if (!managed || inside.getStore()) return original(...args);
    const run = tail.then(() => inside.run(true, () => (writer ? writer.lend(() => original(...args)) : original(...args))));
    tail = run.catch(() => undefined);
    return run;
  };
}

/** The connection every queued SQLite transaction borrows in turn. */
interface WriterConnection {
  /** Runs `work` (one transaction) with the writer connection lent to the first transaction it opens. */
  lend<T>(work: () => Promise<T>): Promise<T>;
}

/** Where Sequelize's SQLite connection manager files the writer connection. */
const WRITER_KEY = "embedops-writer";

/**
 * Pages (in KiB, as SQLite's negative cache_size counts them) the writer connection keeps in memory between
 * transactions. A transaction on a fresh connection starts with an empty cache and reads every index page it
 * touches from the file again; a batch of run events touches thousands.
 */
const WRITER_CACHE_KIB = 32 * 1024;

/**
 * Keeps one SQLite connection open for the queued transactions, with a larger page cache. Sequelize opens and
 * closes a connection per transaction: each then starts with an empty cache and reads every index page it touches
 * from the file again (a batch of run events at 100k integrations touches thousands). A transaction nested inside
 * a queued one (it does not queue) opens its own connection as before. A transaction that fails gives the writer
 * up: the next one opens a fresh connection, whatever state the failure left the old one in.
 */
function keepWriterConnection(sequelize: Sequelize): WriterConnection {
  type Manager = {
    getConnection(options?: { uuid?: string }): Promise<SqliteConnection>;
    releaseConnection(connection: SqliteConnection, force?: boolean): unknown;
  };
  const manager = (sequelize as unknown as { connectionManager: Manager }).connectionManager;
  const open = manager.getConnection.bind(manager);
  const release = manager.releaseConnection.bind(manager);
  const lending = new AsyncLocalStorage<{ taken: boolean }>();
  let writer: Promise<SqliteConnection> | undefined;
  let writerConnection: SqliteConnection | undefined;

  const exec = (connection: SqliteConnection, sql: string) => new Promise<void>((resolve, reject) => connection.exec(sql, (error) => (error ? reject(error) : resolve())));
  manager.getConnection = async (options) => {
    const loan = lending.getStore();
    // The first transaction opened in a lent turn takes the writer; one nested inside it opens its own.
    if (!loan || loan.taken || !options?.uuid || options.uuid === "default") return open(options);
    loan.taken = true;
    writer ??= open({ uuid: WRITER_KEY }).then(async (connection) => {
      await exec(connection, `PRAGMA cache_size=-${WRITER_CACHE_KIB};`);
      writerConnection = connection;
      return connection;
    });
    return writer;
  };
  // Sequelize releases (closes) a transaction's connection when it ends: the writer stays open for the next one.
  manager.releaseConnection = (connection, force) => (force !== true && connection === writerConnection ? undefined : release(connection, force));
  /** Closes the writer: the next transaction opens a fresh one. */
  const discard = () => {
    const failed = writer;
    writer = undefined;
    writerConnection = undefined;
    void failed?.then((connection) => release(Object.assign(connection, { uuid: WRITER_KEY }), true)).catch(() => undefined);
  };

  return {
    async lend(work) {
      const loan = { taken: false };
      try {
        return await lending.run(loan, work);
      } catch (error) {
        // Whatever state the failure left the connection in, the next transaction starts on a fresh one.
        if (loan.taken) discard();
        throw error;
      }
    },
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
    preparePerConnection(sequelize, "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    // In memory, Sequelize shares one connection for everything already.
    serializeTransactions(sequelize, storage === ":memory:" ? undefined : keepWriterConnection(sequelize));
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
