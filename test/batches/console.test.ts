import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { consoleMessages, runConsole } from "../../src/console.ts";
import { COMMANDS } from "../../commands/index.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";

let testDb: TestDatabase;
let runtime: Runtime;
let output = "";

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, Array.from({ length: 25 }, (_, i) => ({ id: `int_c${String(i + 1).padStart(2, "0")}` })));
  await db.close();
  const config = loadConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: "silent" });
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  runtime = await openRuntime(config, { messages: consoleMessages(sink, config.slashCommand), commands: COMMANDS, batchTiming: { pollMs: 20, summaryIntervalMs: 50 } });
  runtime.batchWorker.start();
});

afterAll(async () => {
  await runtime?.close();
  await testDb?.drop();
});

async function session(lines: string[]): Promise<string> {
  const before = output.length;
  await runConsole(runtime, { as: "admin@example.com", input: Readable.from(lines.map((line) => `${line}\n`)), output: { write: (text: string) => ((output += text), true) } as never });
  return output.slice(before);
}

describe("bulk actions in the console", () => {
  it("shows every step as the command that does it, the typed count included", async () => {
    const preview = await session(['disable flow:flow_1 reason:"nobody uses it"']);
    expect(preview).toContain("Disable 25 integrations in 1 group?");
    const batchId = /confirm (b_[0-9a-f]+)/.exec(preview)![1]!;
    expect(preview).toContain(`/integrations confirm ${batchId}`);

    const asked = await session([`confirm ${batchId}`]);
    expect(asked).toContain(`/integrations confirm ${batchId} 25`);
    const wrong = await session([`confirm ${batchId} 24`]);
    expect(wrong).toContain("not the count");

    const done = await session([`confirm ${batchId} 25`]);
    expect(done).toContain(`Batch ${batchId} started`);
    expect(done).toMatch(/Bulk disable of 25 integrations finished: 25 of 25 done/);
    expect(done).toContain(`/integrations undo ${batchId}`);
    expect(await runtime.db.models.Integration.count({ where: { status: "disabled", disabledReason: "nobody uses it" } })).toBe(25);

    const undone = await session([`undo ${batchId}`, "batches"]);
    expect(undone).toMatch(/Bulk enable of 25 integrations finished/);
    expect(undone).toContain(`undo of ${batchId}`);
    expect(await runtime.db.models.Integration.count({ where: { status: "enabled" } })).toBe(25);
    const audit = await runtime.db.models.AuditEvent.findOne({ where: { action: "disable", targetId: "int_c01" } });
    expect(audit!.detail).toBe(`${batchId}: nobody uses it`);
  });
});
