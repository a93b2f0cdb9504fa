import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepExportsApart } from "../support/exports.ts";
import { COMMANDS } from "../../commands/index.ts";
import { FakeClock } from "../../src/clock.ts";
import type { Database } from "../../src/data/database.ts";
import { seededRandom } from "../../src/data/seed.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { fuzzTexts, runFuzz, tablesDigest, type FuzzCommand } from "../support/fuzz.ts";
import { actorFor, NOW, recordingMessages, testConfig } from "../jobs/support.ts";
import { CHANGING_COMMANDS, COMMAND_SAMPLES } from "../permissions/command-samples.ts";

const TEXTS_PER_COMMAND = 120;

let testDb: TestDatabase;
let db: Database;
let runtime: Runtime;

keepExportsApart();

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [
    { id: "int_1", name: "HubSpot 100% sync_all" },
    { id: "int_2", name: "Salesforce \\ nightly", configurationId: "cfg_2", flowId: "flow_2" },
    { id: "int_3", name: "Partner ' export", configurationId: "cfg_3", status: "disabled" },
  ]);
  await addRuns(db, [{ id: "r_1", integrationId: "int_1", status: "error", startedAt: new Date("2026-11-19T00:00:00Z"), finishedAt: new Date("2026-11-19T00:01:00Z"), error: "401" }]);
  const directory = { emailOf: async (id: string) => (id === WORLD.operators.admin.slack ? WORLD.operators.admin.email : undefined), membersOf: async () => [] };
  runtime = await openRuntime(testConfig(testDb.url), { db, clock: new FakeClock(NOW), messages: recordingMessages(), directory, commands: COMMANDS });
});

afterAll(async () => {
  await runtime?.close();
  await db?.close();
  await testDb?.drop();
});

function commands(filter: (name: string) => boolean): FuzzCommand[] {
  return COMMANDS.filter((command) => filter(command.name)).map((command) => ({ name: command.name, sample: COMMAND_SAMPLES[command.name]?.args ?? "" }));
}

describe(`a fuzz corpus through every command of the registry (${TEST_DIALECT})`, () => {
  it("covers every registered command", () => {
    expect(COMMANDS.map((command) => command.name).filter((name) => !(name in COMMAND_SAMPLES))).toEqual([]);
  });

  it("read-only commands: no internal error, no crash, and not one row changed", async () => {
    const readers = commands((name) => !CHANGING_COMMANDS.includes(name));
    const before = await tablesDigest(db);
    const admin = await actorFor(db, WORLD.operators.admin.email);
    const viewer = await actorFor(db, WORLD.operators.viewer.email);
    const count = TEXTS_PER_COMMAND * readers.length;
    const asAdmin = await runFuzz(runtime.dispatcher, admin, fuzzTexts(seededRandom(12), count, readers, "int_1"));
    expect(await tablesDigest(db)).toEqual(before);
    // A viewer is also refused now and then, and every refusal is audited: that row, and nothing else, is new.
    const asViewer = await runFuzz(runtime.dispatcher, viewer, fuzzTexts(seededRandom(13), count / 4, readers, "int_2"));
    const { AuditEvent: auditBefore, ...othersBefore } = before;
    const { AuditEvent: auditAfter, ...othersAfter } = await tablesDigest(db);
    expect(othersAfter).toEqual(othersBefore);
    expect(auditAfter).not.toBe(auditBefore);
    expect(await db.models.AuditEvent.count({ where: { outcome: "denied" } })).toBe(await db.models.AuditEvent.count());
    expect({ internal: asAdmin.internalErrors + asViewer.internalErrors, crashes: asAdmin.crashes + asViewer.crashes, examples: [...asAdmin.examples, ...asViewer.examples] })
      .toEqual({ internal: 0, crashes: 0, examples: [] });
    // Bounded: well under a second per hundred texts on either dialect.
    expect(asAdmin.ms / asAdmin.texts).toBeLessThan(100);
  }, 120_000);

  it("commands that change things: no internal error and no crash", async () => {
    const writers = commands((name) => CHANGING_COMMANDS.includes(name));
    const admin = await actorFor(db, WORLD.operators.admin.email);
    const outcome = await runFuzz(runtime.dispatcher, admin, fuzzTexts(seededRandom(14), TEXTS_PER_COMMAND * writers.length, writers, "int_1"));
    expect({ internal: outcome.internalErrors, crashes: outcome.crashes, examples: outcome.examples }).toEqual({ internal: 0, crashes: 0, examples: [] });
    expect(outcome.ms / outcome.texts).toBeLessThan(100);
  }, 120_000);

  it("the corpus's hostile texts are answered, one by one, without an internal error", async () => {
    const admin = await actorFor(db, WORLD.operators.admin.email);
    const texts = [
      "list constructor:x", "list __proto__:x", "auths constructor:x", "auths toString:x", "list a\u0000b", "show int_1\u0000",
      "list %", "list _", "list \\", "auths connector:%", "list group:%", `link <@UX> ${"y".repeat(300)}@example.com`,
      `grant ${"y".repeat(300)}@example.com view group:g1`, `disable int_1 ${"reason ".repeat(400)}`, `list ${Array(1000).fill("a").join(" ")}`,
      "list \u200f\u05d0 😀 \u202e", `list ${"x".repeat(4096)}`, 'list "a', "list group:\u201CAcme Partners\u201D",
    ];
    const outcome = await runFuzz(runtime.dispatcher, admin, texts);
    expect({ internal: outcome.internalErrors, crashes: outcome.crashes, examples: outcome.examples }).toEqual({ internal: 0, crashes: 0, examples: [] });
  });
});

describe("search words and the connector filter match `%`, `_` and `\\` literally", () => {
  it("finds only what holds the very characters typed", async () => {
    const base = { configurationId: "cfg_1", groupId: "g1", sharingLevel: "user", embedUserId: "u_1", embedAccountId: "acc_1", embedUserName: null };
    await db.models.ConnectorAuth.bulkCreate([
      { ...base, id: "ca_1", name: "HubSpot of u_1", connectorName: "HubSpot" },
      { ...base, id: "ca_2", name: "Sales of u_1", connectorName: "Sales_force" },
      { ...base, id: "ca_3", name: "Pct of u_1", connectorName: "100%" },
      { ...base, id: "ca_4", name: "Slash of u_1", connectorName: "a\\b" },
    ] as never);
    const admin = await actorFor(db, WORLD.operators.admin.email);
    const origin = { transport: "slack" as const, channelId: "CFUZZ" };
    const names: Record<string, string> = { ca_1: "HubSpot of u_1", ca_2: "Sales of u_1", ca_3: "Pct of u_1", ca_4: "Slash of u_1" };
    const shown = async (text: string) => {
      const doc = JSON.stringify((await runtime.dispatcher.handle(text, admin, origin)).doc);
      return Object.keys(names).filter((id) => doc.includes(names[id]!));
    };
    expect(await shown("auths connector:hubspot")).toEqual(["ca_1"]);
    expect(await shown("auths connector:sales_force")).toEqual(["ca_2"]);
    expect(await shown("auths connector:salesXforce")).toEqual([]);
    expect(await shown("auths connector:%")).toEqual([]);
    expect(await shown("auths connector:100%")).toEqual(["ca_3"]);
    expect(await shown("auths connector:a\\b")).toEqual(["ca_4"]);
    expect(await shown("auths connector:_")).toEqual([]);

    const listed = async (text: string) => JSON.stringify((await runtime.dispatcher.handle(text, admin, origin)).doc).match(/int_\d/g)?.filter((id, i, all) => all.indexOf(id) === i).sort() ?? [];
    expect(await listed("list %")).toEqual(["int_1"]);
    expect(await listed("list 0%")).toEqual(["int_1"]);
    expect(await listed("list 1_0")).toEqual([]);
    expect(await listed("list sync_all")).toEqual(["int_1"]);
    expect(await listed("list \\")).toEqual(["int_2"]);
    expect(await listed("list '")).toEqual(["int_3"]);
  });
});
