import { COMMANDS as REGISTRY } from "../../commands/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { consoleActor, consoleMessages } from "../../src/console.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import { seedDemo } from "../../src/data/seed.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { toText } from "../../src/slack/text-renderer.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { Writable } from "node:stream";

const NOW = new Date("2026-11-20T12:00:00Z");
const COMMANDS = ["list", "show int_1", "list page:2", "list failing", "stale", "runs int_1", "auths", "audit", "whoami", "help"];

let testDb: TestDatabase;
let runtime: Runtime;
let actor: Actor;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await seedDemo(db, { now: NOW, timeZone: "UTC" });
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  runtime = await openRuntime(loadConfig({ DATABASE_URL: testDb.url, TZ: "UTC" }), { db, clock: new FakeClock(NOW), messages: consoleMessages(sink, "/integrations"), commands: REGISTRY });
  actor = await consoleActor(runtime);
});

afterAll(async () => {
  await runtime?.close();
  await runtime?.db.close();
  await testDb?.drop();
});

/** Every answer of COMMANDS at one width, as the console prints it. */
async function answers(width: number): Promise<string> {
  const out: string[] = [];
  for (const command of COMMANDS) {
    const reply = await runtime.dispatcher.handle(command, actor, { transport: "console" });
    out.push(`$ ${command}`, toText(reply.doc, { slashCommand: "/integrations", width }), "");
  }
  return out.join("\n");
}

describe("console answers over the demo data", () => {
  for (const width of [80, 120]) {
    it(`fit ${width} columns, carry no Slack markup, and read as the snapshot`, async () => {
      const text = await answers(width);
      const long = text.split("\n").filter((line) => line.length > width);
      expect(long).toEqual([]);
      expect(text).not.toMatch(/`/);
      expect(text).not.toMatch(/(^|\s)\*[^*\s][^*]*\*(\s|$)/m);
      expect(text).not.toMatch(/<https?:|<[#@!]/);
      expect(text).not.toMatch(/(^|\s):[a-z_]+:(\s|$)/m);
      // The list names each integration once with its id; the flow's address is not repeated in the table.
      const list = text.slice(0, text.indexOf("$ show int_1"));
      expect(list).toMatch(/\(int_\d+\)\s+enabled/);
      expect(list).not.toContain("https://");
      await expect(text).toMatchFileSnapshot(`./__snapshots__/console-${width}.txt`);
    });
  }

  it("shows show's columns as aligned label/value lines", async () => {
    const text = await answers(80);
    const show = text.slice(text.indexOf("$ show int_1"), text.indexOf("$ list page:2"));
    const valueColumns = new Set(
      show.split("\n").filter((line) => /^(Integration|Status|Latest run|Configuration name|Group name|Account ID):/.test(line)).map((line) => line.search(/:\s+\S/) + line.slice(line.indexOf(":") + 1).search(/\S/) + 1),
    );
    expect(valueColumns.size).toBe(1);
  });
});
