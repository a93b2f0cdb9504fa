import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { listIntegrations, type IntegrationFilters } from "../../src/data/integrations.ts";
import type { GroupScope } from "../../src/domain/permissions.ts";
import { EmbedopsError } from "../../src/errors.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld } from "../support/fixtures.ts";

let testDb: TestDatabase;
let db: Database;
const now = new Date("2026-11-20T12:00:00Z");
const rules = { now, staleAfterDays: 30, failingAfterErrors: 3, failingErrorRate: 0.95, overdueFactor: 3 };
const all: GroupScope = { all: true };

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [
    { id: "int_a", name: "HubSpot to CRM", configurationId: "cfg_1", userId: "u_jane", accountId: "acc_1", createdAt: new Date("2026-11-10T00:00:00Z") },
    { id: "int_b", name: "Salesforce nightly", configurationId: "cfg_2", flowId: "flow_2", userId: "u_bob", accountId: "acc_2", createdAt: new Date("2026-09-01T00:00:00Z") },
    { id: "int_c", name: "Partner export", configurationId: "cfg_3", userId: "u_jane", accountId: "acc_3", status: "disabled", createdAt: new Date("2026-10-01T00:00:00Z") },
    { id: "int_d", name: "HubSpot contacts", configurationId: "cfg_1", userId: "u_dan", accountId: "acc_1", createdAt: new Date("2026-08-01T00:00:00Z") },
  ]);
  const day = (d: number) => new Date(Date.UTC(2026, 10, d, 6));
  await addRuns(db, [
    // int_a: three errors in a row (failing), recently.
    ...[17, 18, 19].map((d) => ({ id: `ra_${d}`, integrationId: "int_a", status: "error" as const, startedAt: day(d), finishedAt: day(d), error: "401 from HubSpot" })),
    // int_d: a success long ago (stale).
    { id: "rd_1", integrationId: "int_d", status: "success", startedAt: new Date("2026-09-15T00:00:00Z"), finishedAt: new Date("2026-09-15T00:01:00Z") },
    // int_b: running now.
    { id: "rb_1", integrationId: "int_b", status: "running", startedAt: day(20) },
  ]);
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

async function ids(filters: IntegrationFilters, scope: GroupScope = all): Promise<string[]> {
  const page = await listIntegrations(db, scope, filters, rules, { limit: 20 });
  return page.rows.map((row) => row.id);
}

describe("listIntegrations", () => {
  it("orders by newest activity first", async () => {
    expect(await ids({})).toEqual(["int_b", "int_a", "int_c", "int_d"]);
  });

  it("applies each filter, and combinations", async () => {
    expect(await ids({ status: "disabled" })).toEqual(["int_c"]);
    expect(await ids({ latest: "error" })).toEqual(["int_a"]);
    expect(await ids({ latest: "none" })).toEqual(["int_c"]);
    expect(await ids({ latest: "running" })).toEqual(["int_b"]);
    expect(await ids({ configurationId: "cfg_1" })).toEqual(["int_a", "int_d"]);
    expect(await ids({ accountId: "acc_1" })).toEqual(["int_a", "int_d"]);
    expect(await ids({ userId: "u_jane" })).toEqual(["int_a", "int_c"]);
    expect(await ids({ flowId: "flow_2" })).toEqual(["int_b"]);
    expect(await ids({ failing: true })).toEqual(["int_a"]);
    expect(await ids({ stale: true })).toEqual(["int_d"]);
    expect(await ids({ userId: "u_jane", status: "enabled" })).toEqual(["int_a"]);
  });

  it("finds a group by id or by name, case-insensitively, and refuses an unknown one", async () => {
    expect(await ids({ group: "g1" })).toEqual(["int_a", "int_d"]);
    expect(await ids({ group: "acme partners" })).toEqual(["int_a", "int_d"]);
    expect(await ids({ group: "Gamma Partner" })).toEqual(["int_c"]);
    await expect(ids({ group: "Nope" })).rejects.toBeInstanceOf(EmbedopsError);
  });

  it("matches every search word against the name and ids", async () => {
    expect(await ids({ words: ["hubspot"] })).toEqual(["int_a", "int_d"]);
    expect(await ids({ words: ["hubspot", "contacts"] })).toEqual(["int_d"]);
    expect(await ids({ words: ["u_bob"] })).toEqual(["int_b"]);
  });

  it("matches `%`, `_` and `\\` literally, on either dialect", async () => {
    expect(await ids({ words: ["%"] })).toEqual([]);
    expect(await ids({ words: ["_"] })).toEqual(["int_b", "int_a", "int_c", "int_d"]); // every id holds a real `_`
    expect(await ids({ words: ["int%a"] })).toEqual([]);
    expect(await ids({ words: ["in_"] })).toEqual([]);
    expect(await ids({ words: ["\\"] })).toEqual([]);
    expect(await ids({ words: ["u\\_bob"] })).toEqual([]);
    await expect(ids({ group: "%" })).rejects.toBeInstanceOf(EmbedopsError);
    await expect(ids({ group: "acme_partners" })).rejects.toBeInstanceOf(EmbedopsError);
  });

  it("never shows rows outside the scope", async () => {
    expect(await ids({}, { all: false, groupIds: ["g1"] })).toEqual(["int_a", "int_d"]);
    expect(await ids({ configurationId: "cfg_2" }, { all: false, groupIds: ["g1"] })).toEqual([]);
    expect(await ids({}, { all: false, groupIds: [] })).toEqual([]);
  });

  it("pages with a cursor, each row once", async () => {
    const first = await listIntegrations(db, all, {}, rules, { limit: 3 });
    expect(first.rows.map((r) => r.id)).toEqual(["int_b", "int_a", "int_c"]);
    const second = await listIntegrations(db, all, {}, rules, { limit: 3, after: first.next });
    expect(second.rows.map((r) => r.id)).toEqual(["int_d"]);
    expect(second.next).toBeUndefined();
  });

  it("refuses a tampered cursor", async () => {
    await expect(listIntegrations(db, all, {}, rules, { limit: 3, after: "not-a-cursor" })).rejects.toThrow(/page link is no longer valid/);
  });

  it("carries every column of the platform", async () => {
    const [row] = (await listIntegrations(db, all, { configurationId: "cfg_2" }, rules, { limit: 1 })).rows;
    expect(row).toMatchObject({
      id: "int_b", name: "Salesforce nightly", status: "enabled", latestRunStatus: "running", flowName: "Salesforce nightly",
      flowUrl: "https://flows.example.com/flow_2", configurationId: "cfg_2", configurationName: "Salesforce accounts",
      groupName: "Beta Group", embedUserId: "u_bob", embedAccountId: "acc_2", sharingLevel: "account",
    });
    expect(row!.latestRunAt).toEqual(new Date(Date.UTC(2026, 10, 20, 6)));
    expect(row!.createdAt).toEqual(new Date("2026-09-01T00:00:00Z"));
    expect(row!.lastSuccessAt).toBeNull();
  });
});
