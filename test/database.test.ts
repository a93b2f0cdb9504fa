import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/data/database.ts";
import { migrate } from "../src/data/migrate.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

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
