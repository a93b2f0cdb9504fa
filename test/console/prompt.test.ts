import { COMMANDS } from "../../commands/index.ts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { ConsoleScreen, consoleMessages, runConsole } from "../../src/console.ts";
import { log, setLogLevel } from "../../src/log.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { textDoc } from "../../src/reply/document.ts";
import { eventually } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { loadWorld, WORLD } from "../support/fixtures.ts";

let testDb: TestDatabase;
let runtime: Runtime;
let dir: string;

/** A stream that says it is a terminal, as a person's would. */
function terminal(): PassThrough & { isTTY: boolean; columns: number } {
  return Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "embedops-console-test-"));
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  const sink = new PassThrough();
  runtime = await openRuntime(loadConfig({ DATABASE_URL: testDb.url }), { db, clock: new FakeClock("2026-11-20T12:00:00Z"), messages: consoleMessages(sink, "/integrations"), commands: COMMANDS });
});

afterAll(async () => {
  setLogLevel("silent");
  await runtime?.close();
  await runtime?.db.close();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the console at a terminal", () => {
  it("writes log lines to its log file and prints what a job posts above the line being typed", async () => {
    const input = terminal();
    const output = terminal();
    let shown = "";
    output.on("data", (chunk: Buffer) => (shown += chunk.toString("utf8")));
    const screen = new ConsoleScreen(output);
    const messages = consoleMessages(screen, "/integrations", 80);
    const logFile = join(dir, "embedops.log");
    setLogLevel("info");
    const session = runConsole(runtime, { as: WORLD.operators.admin.email, input, output, interactive: true, width: 80, screen, logFile });
    await eventually(() => shown.includes("embedops> ") || undefined);
    input.write("whoa");
    await eventually(() => shown.includes("whoa") || undefined);
    log.warn({ job: "failure-alerts" }, "a job's log line");
    await messages.post("C0ALERTS", textDoc("*Integration failing*"));
    await eventually(() => /posted to #C0ALERTS[^]*embedops> whoa/.test(shown) || undefined);
    input.end("mi\nexit\n");
    await session;
    expect(shown).toContain(`Logs go to ${logFile}`);
    expect(shown).not.toContain("a job's log line");
    expect(readFileSync(logFile, "utf8")).toContain("a job's log line");
    // The post cleared the prompt line, printed, and showed the prompt with what was typed so far again.
    const post = shown.indexOf("--- posted to #C0ALERTS ---");
    expect(post).toBeGreaterThan(0);
    expect(shown.slice(0, post)).toMatch(/whoa\x1b\[2K\x1b\[1G$/);
    expect(shown.slice(post)).toContain("Integration failing\n\n");
    expect(shown.slice(post)).toMatch(/embedops> whoa/);
    expect(shown.slice(post)).not.toContain("*Integration failing*");
  });
});
