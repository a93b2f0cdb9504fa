import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsole } from "../../src/bot.ts";
import { loadConfig } from "../../src/config.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";

const NOW = new Date("2026-11-20T12:00:00Z");

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "int_cut" }]);
  // A manual run a console sent ten minutes ago and was killed before the engine answered.
  await addRuns(db, [{ id: "run_cut", integrationId: "int_cut", status: "running", trigger: "manual", startedAt: new Date(NOW.getTime() - 10 * 60_000) }], NOW);
  await db.close();
});

afterAll(async () => {
  await testDb?.drop();
});

describe("the console after a kill in the middle of a run", () => {
  it("marks the cut-off run as interrupted at start, as the bot does, so the integration can be run again", async () => {
    let output = "";
    const config = loadConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: "silent", RUNNER_TIMEOUT_MS: "1000", RUN_INTERRUPTED_GRACE_MS: "1000" });
    await startConsole(config, {
      as: WORLD.operators.admin.email,
      input: Readable.from(["runs int_cut\n"]),
      output: new Writable({ write: (chunk, _encoding, done) => ((output += String(chunk)), done()) }),
      clock: { now: () => NOW },
    });
    expect(output).toMatch(/run_cut +error/);
    expect(output).toContain("interrupted");
  });
});
