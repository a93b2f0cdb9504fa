import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { openDatabase, type Database, type OpenOptions } from "../../src/data/database.ts";
import { migrate } from "../../src/data/migrate.ts";

/** The PostgreSQL server the suite also runs against, when TEST_DATABASE_URL names one. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;

/** Which database this run of the suite uses. */
export const TEST_DIALECT: "sqlite" | "postgres" = TEST_POSTGRES_URL ? "postgres" : "sqlite";

/** A fresh, empty database of its own for one test file, and how to throw it away. */
export interface TestDatabase {
  url: string;
  /** Opens (and migrates) a connection to it. */
  open(options?: OpenOptions): Promise<Database>;
  drop(): Promise<void>;
}

/** The run's migrated template (test/support/global-setup.ts), when there is one. */
function template(): string | undefined {
  try {
    return inject("testDatabaseTemplate") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates a fresh database: a temporary SQLite file, or a new database on TEST_DATABASE_URL's server, copied
 * from the run's migrated template when there is one (so opening it finds nothing to migrate); `empty` skips
 * the template, for tests of migrating itself.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.empty ? undefined : template();
  if (!TEST_POSTGRES_URL) {
    const dir = mkdtempSync(join(tmpdir(), "embedops-test-"));
    const file = join(dir, "test.sqlite");
    if (migrated) copyFileSync(migrated, file);
    const url = `sqlite:${file}`;
    return {
      url,
      async open(options?: OpenOptions) {
        const db = openDatabase(url, options);
        await migrate(db);
        return db;
      },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `embedops_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(migrated ? `CREATE DATABASE ${name} TEMPLATE ${migrated}` : `CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async open(options?: OpenOptions) {
      const db = openDatabase(url.toString(), options);
      await migrate(db);
      return db;
    },
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
