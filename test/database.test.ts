import { QueryTypes } from "sequelize";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/data/database.ts";
import { migrate } from "../src/data/migrate.ts";
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from "./support/database.ts";

const made: TestDatabase[] = [];
const opened: Database[] = [];

afterAll(async () => {
  for (const db of opened) await db.close();
  for (const testDb of made) await testDb.drop();
});

describe("openDatabase", () => {
  it("keeps two open databases in one process apart", async () => {
    const [a, b] = [await createTestDatabase(), await createTestDatabase()];
    made.push(a, b);
    const first = openDatabase(a.url);
    opened.push(first);
    await migrate(first);
    const second = openDatabase(b.url);
    opened.push(second);
    await migrate(second);
    await first.models.Group.create({ id: "g1", name: "Only in the first", kind: "group" });
    expect(await second.models.Group.count()).toBe(0);
    expect((await first.models.Group.findByPk("g1"))?.name).toBe("Only in the first");
  });

  it("applies migrations once", async () => {
    const testDb = await createTestDatabase({ empty: true });
    made.push(testDb);
    const db = openDatabase(testDb.url);
    opened.push(db);
    expect((await migrate(db)).length).toBeGreaterThan(0);
    expect(await migrate(db)).toEqual([]);
  });
});

describe.skipIf(Boolean(TEST_POSTGRES_URL))("SQLite's writer connection", () => {
  /** Opens a migrated SQLite test database. */
  async function sqliteDb(): Promise<Database> {
    const testDb = await createTestDatabase();
    made.push(testDb);
    const db = await testDb.open();
    opened.push(db);
    return db;
  }

  /** A temporary table lives on one connection only: which transactions see it tells which connection they ran on. */
  const seesMark = async (db: Database) =>
    db.sequelize.transaction(async (transaction) => {
      const rows = await db.sequelize.query("SELECT name FROM sqlite_temp_master WHERE name = 'mark'", { type: QueryTypes.SELECT, transaction });
      return rows.length === 1;
    });
  const mark = async (db: Database) =>
    db.sequelize.transaction((transaction) => db.sequelize.query("CREATE TEMP TABLE mark (x INTEGER)", { transaction }));

  it("lends one connection, with its page cache, to every queued transaction in turn", async () => {
    const db = await sqliteDb();
    await mark(db);
    expect(await seesMark(db)).toBe(true);
    // Concurrent transactions queue, and each runs on the same connection.
    expect(await Promise.all([seesMark(db), seesMark(db), seesMark(db)])).toEqual([true, true, true]);
    const [cache] = await db.sequelize.transaction((transaction) => db.sequelize.query<{ cache_size: number }>("PRAGMA cache_size", { type: QueryTypes.SELECT, transaction }));
    expect(cache?.cache_size).toBeLessThan(-2000);
    // Statements outside a transaction keep their own connection.
    expect(await db.sequelize.query("SELECT name FROM sqlite_temp_master WHERE name = 'mark'", { type: QueryTypes.SELECT })).toEqual([]);
  });

  it("gives the connection up after a transaction fails, and the next one runs on a fresh connection", async () => {
    const db = await sqliteDb();
    await mark(db);
    const failing = db.sequelize.transaction(async (transaction) => {
      await db.models.Group.create({ id: "g_lost", name: "Written, then rolled back", kind: "group" }, { transaction });
      await db.sequelize.query("SELECT * FROM no_such_table", { transaction });
    });
    await expect(failing).rejects.toThrow(/no_such_table/);
    expect(await seesMark(db)).toBe(false);
    expect(await db.models.Group.findByPk("g_lost")).toBeNull();
    await db.sequelize.transaction((transaction) => db.models.Group.create({ id: "g_kept", name: "Kept", kind: "group" }, { transaction }));
    expect((await db.models.Group.findByPk("g_kept"))?.name).toBe("Kept");
  });
});
