import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { eventually } from "../support/bot.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { postSigned, slashCommandForm, TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { freePort, parseLine, spawnBot } from "./support.ts";

// Secrets as a real deployment has them: none may ever reach a log line.
const SECRETS = {
  SLACK_BOT_TOKEN: "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
  SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
  RUNS_API_SECRET: "runs-api-secret-that-signs-engine-jwts-0123456789",
  RUNNER_SIGNING_SECRET: "runner-signing-secret-for-run-requests-9876543210",
};

let testDb: TestDatabase;
let slack: FakeSlackApi;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "int_1" }, { id: "int_2" }]);
  await db.close();
  slack = await new FakeSlackApi().start();
  slack.emails.set(WORLD.operators.admin.slack, WORLD.operators.admin.email);
});

afterAll(async () => {
  await slack?.stop();
  await testDb?.drop();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...SECRETS, SLACK_API_URL: slack.url, DATABASE_URL: testDb.url, ...extra };
}

describe("graceful shutdown of a real bot process", () => {
  it("on SIGTERM finishes the Slack request in flight, closes, and exits 0", async () => {
    const bot = await spawnBot(env());
    // The Slack directory answers slowly: the command is still being worked on when the signal comes.
    slack.queue("users.info", { body: { ok: true, user: { id: WORLD.operators.admin.slack, profile: { email: WORLD.operators.admin.email } } }, delayMs: 1_500 });
    const asked = slack.callsTo("users.info").length;
    const ack = await postSigned(bot.baseUrl, slashCommandForm("list", WORLD.operators.admin.slack, slack.responseUrl("slow")));
    expect(ack.status).toBe(200);
    await eventually(() => (slack.callsTo("users.info").length > asked ? true : undefined));
    expect(slack.responses.find((r) => r.method === "/response/slow")).toBeUndefined();

    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);

    const answer = slack.responses.find((r) => r.method === "/response/slow");
    expect(JSON.stringify(answer?.body.blocks)).toContain("int_1");
    const messages = bot.stderr.map(parseLine).map((entry) => entry?.msg);
    expect(messages).toContain("shutting down");
    expect(messages.indexOf("embedops stopped")).toBeGreaterThan(messages.indexOf("Slack request handled"));
  });

  it("on SIGINT with nothing in flight exits 0 and refuses new connections", async () => {
    const bot = await spawnBot(env());
    expect((await fetch(`${bot.baseUrl}/healthz`)).status).toBe(200);
    bot.child.kill("SIGINT");
    expect(await bot.exited).toBe(0);
    await expect(fetch(`${bot.baseUrl}/healthz`)).rejects.toThrow();
  });
});

describe("logs of a real bot process", () => {
  it("writes one JSON line per event, with the request id and the actor, and never a secret, token or JWT", async () => {
    const bot = await spawnBot(env({ LOG_LEVEL: "debug" }));
    const form = slashCommandForm("list", WORLD.operators.admin.slack, slack.responseUrl("logs1"));
    await postSigned(bot.baseUrl, form);
    await eventually(() => slack.responses.find((r) => r.method === "/response/logs1"));
    // A denied request from someone unmapped, and an engine call with a real JWT that the API refuses.
    await postSigned(bot.baseUrl, slashCommandForm("list", "USTRANGER", slack.responseUrl("logs2")));
    await eventually(() => slack.responses.find((r) => r.method === "/response/logs2"));
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("5m").sign(new TextEncoder().encode(SECRETS.RUNS_API_SECRET));
    const refused = await fetch(`${bot.baseUrl}/api/runs`, { method: "POST", headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json", "x-request-id": "req-from-lb-1" }, body: "{not json" });
    expect(refused.status).toBe(400);
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);

    const output = [...bot.stderr, ...bot.stdout].join("\n");
    for (const [name, value] of Object.entries(SECRETS)) expect(output.includes(value), `${name} was logged`).toBe(false);
    expect(output).not.toContain(jwt);
    expect(output).not.toMatch(/xox[bpa]-\d/);

    const entries = bot.stderr.map(parseLine);
    expect(entries.every((entry) => entry !== undefined), "every line is JSON").toBe(true);
    const handled = entries.find((entry) => entry?.msg === "Slack request handled" && entry.requestId === form.trigger_id);
    expect(handled).toMatchObject({ actor: WORLD.operators.admin.email, command: "list", level: 30 });
    const denied = entries.find((entry) => entry?.msg === "request denied");
    expect(denied).toMatchObject({ actor: "slack:USTRANGER" });
    expect(typeof denied?.requestId).toBe("string");
  });

  it("respects LOG_LEVEL", async () => {
    const bot = await spawnBot(env({ LOG_LEVEL: "warn", PORT: String(await freePort()) }));
    await postSigned(bot.baseUrl, slashCommandForm("list", WORLD.operators.admin.slack, slack.responseUrl("quiet")));
    await eventually(() => slack.responses.find((r) => r.method === "/response/quiet"));
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
    const levels = bot.stderr.map(parseLine).map((entry) => entry?.level as number);
    expect(levels.filter((level) => level < 40)).toEqual([]);
  });
});
