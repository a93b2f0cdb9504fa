import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/data/database.ts";
import { migrate } from "../../src/data/migrate.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated, empty SQLite file each test file copies, or the PostgreSQL template database each one is created from. */
    testDatabaseTemplate: string;
  }
}

/**
 * Migrates one empty database for the whole run: each test file then copies it (SQLite) or creates its
 * database from it (`CREATE DATABASE … TEMPLATE`, PostgreSQL) instead of migrating its own. Removed at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgresUrl = process.env.TEST_DATABASE_URL?.trim();
  if (!postgresUrl) {
    const dir = mkdtempSync(join(tmpdir(), "embedops-template-"));
    const file = join(dir, "template.sqlite");
    const db = openDatabase(`sqlite:${file}`);
    await migrate(db);
    await db.close();
    project.provide("testDatabaseTemplate", file);
    return async () => rmSync(dir, { recursive: true, force: true });
  }
  const name = `embedops_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const db = openDatabase(url.toString());
  await migrate(db);
  await db.close();
  project.provide("testDatabaseTemplate", name);
  return async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  };
}
