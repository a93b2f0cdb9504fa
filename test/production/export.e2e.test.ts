import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportRecord, EXPORT_COLUMNS, writeIntegrationsCsv } from "../../commands/export.ts";
import { FakeClock } from "../../src/clock.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { postSigned, slashCommandForm } from "../support/slack-request.ts";
import { parseCsv } from "./support.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { listIntegrations } from "../../src/data/integrations.ts";

let testDb: TestDatabase;
let t: TestBot;
const NOW = new Date("2026-11-20T12:00:00Z");
const G1_COUNT = 1_203;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  // More than two export pages in g1; many share an activation time, so the keyset must break ties by id.
  await addIntegrations(db, [
    ...Array.from({ length: G1_COUNT }, (_, i) => ({ id: `int_${String(i).padStart(5, "0")}`, createdAt: new Date(Date.UTC(2026, 8, 1 + (i % 7))) })),
    { id: "int_b1", configurationId: "cfg_2" as const, accountId: "acc_b1", name: "=HYPERLINK(\"http://evil\")" },
    { id: "int_p1", configurationId: "cfg_3" as const, name: "Partner, \"quoted\"\nsync" },
  ]);
  await addRuns(db, [
    { id: "run_1", integrationId: "int_00007", status: "error", trigger: "scheduler", startedAt: new Date("2026-11-19T10:00:00Z"), finishedAt: new Date("2026-11-19T10:01:00Z"), error: "401 from HubSpot, token \"expired\"" },
  ]);
  await db.close();
  t = await startTestBot(testDb.url, {}, { clock: new FakeClock(NOW) });
  for (const who of Object.values(WORLD.operators)) t.slack.emails.set(who.slack, who.email);
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

async function exportOver(text: string, user: string, responseId: string, channel = "C0OPS") {
  const uploads = t.slack.callsTo("files.completeUploadExternal").length;
  await postSigned(t.baseUrl, slashCommandForm(text, user, t.slack.responseUrl(responseId), { channel_id: channel }));
  const answer = await eventually(() => t.slack.responses.find((r) => r.method === `/response/${responseId}`), 20_000);
  const completed = t.slack.callsTo("files.completeUploadExternal").slice(uploads);
  return { answer: JSON.stringify(answer.body.blocks), completed };
}

function uploadedCsv(completed: Array<{ body: Record<string, unknown> }>): string[][] {
  expect(completed.length).toBe(1);
  const files = completed[0]!.body.files as Array<{ id: string }>;
  return parseCsv(t.slack.uploads.get(files[0]!.id)!.bytes!.toString("utf8"));
}

describe("export over Slack", () => {
  it("uploads every integration the caller may view as CSV with every column, newest activity first, each once", async () => {
    const { answer, completed } = await exportOver("export", WORLD.operators.viewer.slack, "ex1");
    expect(answer).toContain(`Exported ${G1_COUNT} integrations`);
    const [header, ...records] = uploadedCsv(completed);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    expect(header!.slice(0, 10)).toEqual(["Integration", "Status", "Latest run", "Embed Flow", "Configuration ID", "Configuration name", "Group name", "User ID", "Account ID", "Sharing level"]);
    expect(records.length).toBe(G1_COUNT);
    const ids = records.map((r) => r[10]);
    expect(new Set(ids).size).toBe(G1_COUNT);
    expect(ids).not.toContain("int_b1");
    // int_00007 ran yesterday: the newest activity of all.
    expect(records[0]).toEqual([
      "Integration int_00007", "enabled", "error", "HubSpot to CRM", "cfg_1", "HubSpot sync", "Acme Partners", "u_int_00007", "acc_int_00007", "User",
      "int_00007", "flow_1", "https://flows.example.com/flow_1", "g1", "2026-11-19T10:00:00.000Z", "401 from HubSpot, token \"expired\"", records[0]![16],
    ]);
    expect(records[1]![2]).toBe("N/A");
    // The same order as `list`.
    const db = t.bot.runtime.db;
    const firstPage = await listIntegrations(db, { all: false, groupIds: ["g1"] }, {}, { now: NOW, staleAfterDays: 30, failingAfterErrors: 3, failingErrorRate: 0.95, overdueFactor: 3 }, { limit: 50 });
    expect(ids.slice(0, 50)).toEqual(firstPage.rows.map((r) => r.id));
    expect(completed[0]!.body.channel_id).toBe("C0OPS");
  });

  it("applies the list filters and escapes cells a spreadsheet would run as formulas", async () => {
    const { completed } = await exportOver("export group:g2", WORLD.operators.admin.slack, "ex2");
    const [, ...records] = uploadedCsv(completed);
    expect(records.length).toBe(1);
    expect(records[0]![0]).toBe("'=HYPERLINK(\"http://evil\")");
    expect(records[0]![9]).toBe("Account");
    const latest = await exportOver("export latest:error", WORLD.operators.admin.slack, "ex3");
    expect(uploadedCsv(latest.completed).slice(1).map((r) => r[10])).toEqual(["int_00007"]);
  });

  it("keeps quotes, commas and line breaks inside one cell", async () => {
    const { completed } = await exportOver("export group:p1", WORLD.operators.admin.slack, "ex4");
    expect(uploadedCsv(completed)[1]![0]).toBe("Partner, \"quoted\"\nsync");
  });

  it("refuses someone who may view nothing, and uploads nothing", async () => {
    const { answer, completed } = await exportOver("export", WORLD.operators.nobody.slack, "ex5");
    expect(answer).toContain("Can view");
    expect(completed.length).toBe(0);
  });

  it("says to invite the bot when it is not in the channel", async () => {
    t.slack.queue("files.completeUploadExternal", { body: { ok: false, error: "not_in_channel" } });
    const { answer } = await exportOver("export", WORLD.operators.admin.slack, "ex6", "C0PRIVATE");
    expect(answer).toContain("/invite @embedops");
  });

  it("answers a bad filter clearly", async () => {
    const { answer, completed } = await exportOver("export status:maybe", WORLD.operators.admin.slack, "ex7");
    expect(answer).toContain("enabled, disabled");
    expect(completed.length).toBe(0);
  });
});

describe("export in the console", () => {
  it("writes the CSV to a file and prints its path", async () => {
    const reply = await t.bot.runtime.dispatcher.handle("export group:g2", { kind: "job", job: "test" }, { transport: "console" });
    const text = reply.doc.text;
    const path = /to (\/\S+\.csv)/.exec(text)?.[1];
    expect(path, text).toBeDefined();
    expect(existsSync(path!)).toBe(true);
    expect(parseCsv(readFileSync(path!, "utf8")).length).toBe(2);
    rmSync(dirname(path!), { recursive: true, force: true });
  });
});

describe("writeIntegrationsCsv", () => {
  it("reads the database a page at a time and writes every row once, whatever the page size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "embedops-export-test-"));
    const db = t.bot.runtime.db;
    // Pages read: the statements that select a page of integrations (Sequelize hands each statement to `logging`).
    let queries = 0;
    const options = (db.sequelize as unknown as { options: { logging: false | ((sql: string) => void) } }).options;
    const logging = options.logging;
    options.logging = (sql: string) => {
      if (/FROM integrations AS "Integration"[\s\S]*LIMIT \d+/.test(sql)) queries++;
    };
    try {
      const { rows } = await writeIntegrationsCsv(db, { all: true }, {}, { now: NOW, staleAfterDays: 30, failingAfterErrors: 3, failingErrorRate: 0.95, overdueFactor: 3 }, join(dir, "all.csv"), 100);
      expect(rows).toBe(G1_COUNT + 2);
      expect(queries).toBeGreaterThanOrEqual(13);
      const records = parseCsv(readFileSync(join(dir, "all.csv"), "utf8")).slice(1);
      expect(new Set(records.map((r) => r[10])).size).toBe(G1_COUNT + 2);
      expect(records[0]).toEqual(exportRecord((await listIntegrations(db, { all: true }, {}, { now: NOW, staleAfterDays: 30, failingAfterErrors: 3, failingErrorRate: 0.95, overdueFactor: 3 }, { limit: 1 })).rows[0]!));
    } finally {
      options.logging = logging;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
