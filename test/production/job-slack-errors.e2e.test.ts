import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { parseLine } from "./support.ts";

let testDb: TestDatabase;
let slack: FakeSlackApi;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  // Activated long ago and never ran: stale, so the report has something to post.
  await addIntegrations(db, [{ id: "int_old", createdAt: new Date("2020-01-01T00:00:00Z") }]);
  await db.close();
  slack = await new FakeSlackApi().start();
});

afterAll(async () => {
  await slack?.stop();
  await testDb?.drop();
});

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "../../bin/embedops.mjs"), ...args], {
    cwd: join(import.meta.dirname, "../.."),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

describe("embedops job and Slack's permanent errors", () => {
  it("shows what to do when the report channel does not exist, and logs it once", async () => {
    slack.queue("chat.postMessage", { body: { ok: false, error: "channel_not_found" } });
    const result = await runCli(["job", "housekeeping-report"], {
      DATABASE_URL: testDb.url,
      SLACK_BOT_TOKEN: "xoxb-1234-5678-jobtoken",
      SLACK_API_URL: slack.url,
      HOUSEKEEPING_CHANNEL: "C0GONE",
      LOG_LEVEL: "info",
    });
    expect(result.code).toBe(1);
    const said = result.stderr.split("\n").filter((line) => line.startsWith("embedops job"));
    expect(said.join("\n")).toMatch(/channel_not_found.*check the channel id/);
    const refusals = result.stderr.split("\n").map(parseLine).filter((entry) => entry?.slackError === "channel_not_found");
    expect(refusals.length, JSON.stringify(refusals, null, 1)).toBe(1);
    expect(refusals[0]).toMatchObject({ level: 50, channel: "C0GONE", job: "housekeeping-report" });
    expect(String(refusals[0]!.hint)).toContain("invite the bot");
    expect(result.stderr).not.toContain("xoxb-1234-5678-jobtoken");
  });
});
