import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { buttonClickForm, postSigned, slashCommandForm } from "../support/slack-request.ts";

let testDb: TestDatabase;
let t: TestBot;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [
    ...Array.from({ length: 25 }, (_, i) => ({ id: `int_${String(i + 1).padStart(2, "0")}`, configurationId: "cfg_1" as const, createdAt: new Date(Date.UTC(2026, 9, 1 + i)) })),
    { id: "int_b1", configurationId: "cfg_2", name: "Beta sync" },
  ]);
  await addRuns(db, [
    { id: "run_1", integrationId: "int_01", status: "error", trigger: "scheduler", startedAt: new Date("2026-11-19T10:00:00Z"), finishedAt: new Date("2026-11-19T10:01:00Z"), error: "401 from HubSpot" },
  ]);
  await db.close();
  t = await startTestBot(testDb.url);
  t.slack.emails.set(WORLD.operators.admin.slack, WORLD.operators.admin.email);
  t.slack.emails.set(WORLD.operators.viewer.slack, WORLD.operators.viewer.email);
  t.slack.emails.set("USTRANGER", "stranger@example.com");
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

async function command(text: string, user: string, responseId: string) {
  const response = await postSigned(t.baseUrl, slashCommandForm(text, user, t.slack.responseUrl(responseId)));
  expect(response.status).toBe(200);
  return eventually(() => t.slack.responses.find((r) => r.method === `/response/${responseId}`));
}

function text(body: Record<string, unknown>): string {
  return JSON.stringify(body.blocks);
}

describe("read commands over signed Slack requests", () => {
  it("answers list with the newest activity first and a Next page button", async () => {
    const answer = await command("list", WORLD.operators.admin.slack, "list1");
    expect(answer.body.response_type).toBe("ephemeral");
    const blocks = text(answer.body);
    // int_01 ran on 2026-11-19: newest activity of all.
    expect(blocks.indexOf("int_01")).toBeLessThan(blocks.indexOf("int_25"));
    expect(blocks).toContain("Next page");
  });

  it("pages through every integration with the Next page button, each row once", async () => {
    const first = await command("list group:g1", WORLD.operators.admin.slack, "page1");
    const blocks = first.body.blocks as Array<{ type: string; elements?: Array<{ value: string; text: { text: string } }> }>;
    const next = blocks.find((b) => b.type === "actions")!.elements!.find((e) => e.text.text === "Next page")!;
    await postSigned(t.baseUrl, buttonClickForm(next.value, WORLD.operators.admin.slack, t.slack.responseUrl("page2")));
    const second = await eventually(() => t.slack.responses.find((r) => r.method === "/response/page2"));
    expect(second.body.replace_original).toBe(true);
    const all = `${text(first.body)}${text(second.body)}`;
    for (let i = 1; i <= 25; i++) expect(all.split(`(int_${String(i).padStart(2, "0")})`).length - 1).toBe(1);
    expect(all).not.toContain("int_b1");
  });

  it("shows one integration with its latest error", async () => {
    const answer = await command("show int_01", WORLD.operators.admin.slack, "show1");
    const blocks = text(answer.body);
    expect(blocks).toContain("401 from HubSpot");
    expect(blocks).toContain("HubSpot sync");
    expect(blocks).toContain("Acme Partners");
  });

  it("answers an unknown subcommand and a bad filter clearly", async () => {
    expect(text((await command("frobnicate", WORLD.operators.admin.slack, "bad1")).body)).toContain("is not a command");
    expect(text((await command("list status:maybe", WORLD.operators.admin.slack, "bad2")).body)).toContain("enabled, disabled");
  });

  it("lets an unmapped user see help but not list", async () => {
    expect(text((await command("help", "USTRANGER", "un1")).body)).toContain("link @you");
    expect(text((await command("list", "USTRANGER", "un2")).body)).toContain("not linked");
  });

  it("refuses a request with a bad signature with 401 and no answer", async () => {
    const response = await postSigned(t.baseUrl, slashCommandForm("list", WORLD.operators.admin.slack, t.slack.responseUrl("forged")), { secret: "wrong-secret" });
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.slack.responses.find((r) => r.method === "/response/forged")).toBeUndefined();
  });
});
