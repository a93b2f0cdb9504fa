import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { startBot, type BotHandle } from "../../src/bot.ts";
import { loadConfig } from "../../src/config.ts";
import { eventually } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { slashCommandForm } from "../support/slack-request.ts";

const APP_TOKEN = "xapp-1-A1-1-socket-mode-test";
let testDb: TestDatabase;
let slack: FakeSlackApi;
let wss: WebSocketServer;
let bot: BotHandle;
const sockets: WebSocket[] = [];
const received: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await addIntegrations(db, [{ id: "int_1" }, { id: "int_2" }]);
  await db.close();
  // Slack's Socket Mode, played locally: the socket says hello, sends envelopes, and records what the app sends back.
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (socket) => {
    sockets.push(socket);
    socket.on("message", (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
    socket.send(JSON.stringify({ type: "hello", num_connections: 1, debug_info: { host: "local", approximate_connection_time: 3600 }, connection_info: { app_id: "A1" } }));
  });
  slack = await new FakeSlackApi().start();
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`;
  for (let i = 0; i < 5; i++) slack.queue("apps.connections.open", { body: { ok: true, url } });
  for (const who of Object.values(WORLD.operators)) slack.emails.set(who.slack, who.email);
  const config = loadConfig({ SLACK_BOT_TOKEN: "xoxb-socket-test", SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: slack.url, PORT: "0", DATABASE_URL: testDb.url, LOG_LEVEL: "silent" });
  bot = await startBot(config);
});

afterAll(async () => {
  await bot?.stop();
  for (const socket of sockets) socket.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  await slack?.stop();
  await testDb?.drop();
});

describe("Socket Mode against a local stand-in for Slack", () => {
  it("opens the connection with the app token, acks a slash command's envelope, and posts the answer", async () => {
    const open = slack.callsTo("apps.connections.open");
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(open[0]!.token).toBe(APP_TOKEN);
    expect(sockets.length).toBe(1);

    const form = slashCommandForm("show int_2", WORLD.operators.admin.slack, slack.responseUrl("socket-1"));
    sockets[0]!.send(JSON.stringify({ envelope_id: "env-1", type: "slash_commands", accepts_response_payload: true, payload: form }));

    const ack = await eventually(() => received.find((message) => message.envelope_id === "env-1"));
    expect(ack).toMatchObject({ envelope_id: "env-1" });
    const answer = await eventually(() => slack.responses.find((r) => r.method === "/response/socket-1"));
    expect(JSON.stringify(answer.body)).toContain("int_2");
    // Nothing came over HTTP: /slack/events is not served in Socket Mode.
    const events = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, { method: "POST", body: "x" });
    expect(events.status).toBe(404);
  });

  it("acks interactivity it does not handle at once", async () => {
    const payload = { type: "shortcut", callback_id: "someone_elses", trigger_id: "t1", user: { id: WORLD.operators.admin.slack, username: "a", team_id: "T1" }, team: { id: "T1" }, token: "x", action_ts: "1" };
    const started = Date.now();
    sockets[0]!.send(JSON.stringify({ envelope_id: "env-2", type: "interactive", accepts_response_payload: false, payload }));
    await eventually(() => received.find((message) => message.envelope_id === "env-2"));
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
