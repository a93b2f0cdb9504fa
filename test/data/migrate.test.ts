import { spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import type { QueryInterface } from "sequelize";
import { DataTypes } from "sequelize";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/data/database.ts";
import { migrate, MigrationError, MIGRATIONS } from "../../src/data/migrate.ts";
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from "../support/database.ts";

const ROOT = join(import.meta.dirname, "../..");
const made: TestDatabase[] = [];
afterAll(async () => {
  for (const db of made) await db.drop();
});

/** An empty database, not copied from the run's migrated template: these tests migrate it themselves. */
async function fresh(): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true });
  made.push(db);
  return db;
}

async function tables(url: string): Promise<string[]> {
  const db = openDatabase(url);
  try {
    return (await db.sequelize.getQueryInterface().showAllTables()).map(String).sort();
  } finally {
    await db.close();
  }
}

describe("a migration that fails halfway", () => {
  it("leaves nothing of itself applied, names itself, and the next run applies it once fixed", async () => {
    const target = await fresh();
    const broken = {
      name: "2099010101-broken",
      async up({ context: qi }: { context: QueryInterface }) {
        await qi.createTable("half_done", { id: { type: DataTypes.INTEGER, primaryKey: true } });
        await qi.addIndex("half_done", ["no_such_column"]);
      },
      async down() {},
    };
    const db = openDatabase(target.url);
    try {
      await expect(migrate(db, [...MIGRATIONS, broken])).rejects.toSatisfy((error: unknown) => error instanceof MigrationError && /2099010101-broken failed, nothing of it was applied/.test(error.message));
      // The migrations before it are in; its table and its SequelizeMeta row are not.
      expect(await tables(target.url)).toContain("integrations");
      expect(await tables(target.url)).not.toContain("half_done");
      const [rows] = await db.sequelize.query(`SELECT name FROM "SequelizeMeta" ORDER BY name`);
      expect((rows as Array<{ name: string }>).map((row) => row.name)).toEqual(MIGRATIONS.map((m) => m.name));
      const fixed = { ...broken, async up({ context: qi }: { context: QueryInterface }) { await qi.createTable("half_done", { id: { type: DataTypes.INTEGER, primaryKey: true } }); } };
      expect(await migrate(db, [...MIGRATIONS, fixed])).toEqual(["2099010101-broken"]);
      expect(await migrate(db, [...MIGRATIONS, fixed])).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("makes `embedops migrate` exit 1 with one line naming the migration", async () => {
    const target = await fresh();
    const db = openDatabase(target.url);
    // A table in the way of the first migration's createTable: the real migration fails on the real command.
    await db.sequelize.getQueryInterface().createTable("SequelizeMeta", { name: { type: DataTypes.STRING, primaryKey: true } });
    await db.sequelize.query(`CREATE TABLE groups (x INTEGER)`);
    await db.close();
    const result = await runMigrate(target.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^embedops migrate: migration 2026112101-initial-schema failed, nothing of it was applied: /);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(await tables(target.url)).toEqual(["SequelizeMeta", "groups"]);
  });
});

describe("the slack_posts table", () => {
  it("is gone once migrated, and comes back empty when its drop is undone", async () => {
    const target = await fresh();
    const db = openDatabase(target.url);
    try {
      await migrate(db);
      expect(await tables(target.url)).not.toContain("slack_posts");
      expect(await tables(target.url)).toContain("outbox_messages");
      const drop = MIGRATIONS.find((m) => m.name === "2026120202-drop-slack-posts")!;
      await drop.down({ context: db.sequelize.getQueryInterface() });
      expect(await tables(target.url)).toContain("slack_posts");
      await drop.up({ context: db.sequelize.getQueryInterface() });
      expect(await tables(target.url)).not.toContain("slack_posts");
    } finally {
      await db.close();
    }
  });
});

describe("the end user's index", () => {
  /** The names of the integrations table's indexes. */
  const indexes = async (qi: QueryInterface) => ((await qi.showIndex("integrations")) as Array<{ name: string }>).map((index) => index.name);

  it("is a plain index on the user once migrated, and ordered by activity again when undone", async () => {
    const target = await fresh();
    const db = openDatabase(target.url);
    try {
      await migrate(db);
      const qi = db.sequelize.getQueryInterface();
      expect(await indexes(qi)).toContain("integrations_embed_user_id");
      expect(await indexes(qi)).not.toContain("integrations_embed_user_id_activity");
      expect(await indexes(qi)).toContain("integrations_embed_account_id_activity");
      const userIndex = MIGRATIONS.find((m) => m.name === "2026120206-user-index")!;
      await userIndex.down({ context: qi });
      expect(await indexes(qi)).toContain("integrations_embed_user_id_activity");
      expect(await indexes(qi)).not.toContain("integrations_embed_user_id");
      await userIndex.up({ context: qi });
      expect(await indexes(qi)).toContain("integrations_embed_user_id");
    } finally {
      await db.close();
    }
  });
});

function runMigrate(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/embedops.mjs", "migrate"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", DATABASE_URL: url, LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** PostgreSQL for the replica test: the suite's server when it runs on one, else the local one when it answers. */
async function postgresServer(): Promise<string | undefined> {
  const url = TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return undefined;
  }
}

const server = await postgresServer();

describe.skipIf(!server)("replicas starting together on one PostgreSQL database", () => {
  it("apply each migration once: four `embedops migrate` at the same moment all exit 0", async () => {
    const name = `embedops_mig_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(server!);
    url.pathname = `/${name}`;
    try {
      const results = await Promise.all([1, 2, 3, 4].map(() => runMigrate(url.toString())));
      for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });
      const applied = results.flatMap((result) => result.stdout.match(/\d{10}-[\w-]+/g) ?? []);
      // Each name printed as applied by exactly one of them.
      expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
      const db = openDatabase(url.toString());
      const [rows] = await db.sequelize.query(`SELECT name FROM "SequelizeMeta"`);
      await db.close();
      expect((rows as unknown[]).length).toBe(MIGRATIONS.length);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
