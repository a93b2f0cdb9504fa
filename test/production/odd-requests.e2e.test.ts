import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "../support/database.ts";
import { eventually, startWorldBot, type TestBot } from "../support/bot.ts";
import { WORLD } from "../support/fixtures.ts";
import { postSigned, slackSignature, slashCommandForm, TEST_SIGNING_SECRET } from "../support/slack-request.ts";

let testDb: TestDatabase;
let t: TestBot;
let port: number;

beforeAll(async () => {
  ({ testDb, t } = await startWorldBot());
  port = Number(new URL(t.baseUrl).port);
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

/** Writes raw bytes to the server and collects whatever comes back until it closes (or `waitMs` passes). */
function raw(bytes: Buffer | string, waitMs = 1_500): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    };
    const timer = setTimeout(done, waitMs);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", done);
    socket.on("close", done);
    socket.write(bytes);
  });
}

function statusOf(answer: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  return match ? Number(match[1]) : undefined;
}

/** The JSON error body of a raw answer. */
function errorOf(answer: string): { error: string; message: string } {
  return JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4).replace(/^[0-9a-f]+\r\n/, "").replace(/\r\n0\r\n\r\n$/, "")) as { error: string; message: string };
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "CONNECT"];
const PATHS = ["/", "/slack/events", "/slack/events/", "/healthz", "/metrics", "/api/runs", "/api/openapi.json", "/api/embed/cfg_1/integrations", "/api/embed/%ZZ/integrations", "/api/embed/cfg_1/integrations/int_1/deactivate", "/..%2f..%2fetc/passwd", "/slack/events?x=%00", "*", "/" + "a".repeat(2_000)];

describe("no request stops the bot", () => {
  it("answers GET /slack/events and GET /api/runs with 405 naming the allowed method, and an unknown path with 404, as the JSON error body", async () => {
    const get = await fetch(`${t.baseUrl}/slack/events`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await get.json()).toMatchObject({ error: "method_not_allowed" });
    // An API path names the methods it takes.
    const getRuns = await fetch(`${t.baseUrl}/api/runs`);
    expect(getRuns.status).toBe(405);
    expect(getRuns.headers.get("allow")).toBe("POST");
    const unknown = await fetch(`${t.baseUrl}/wp-login.php`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "not_found" });
  });

  it("answers 413 for a body over 10 MB on the API and on Slack's path, and 431 for headers over 16 KB", async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    for (const path of ["/api/runs", "/slack/events"]) {
      const response = await fetch(`${t.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
      expect(response.status, path).toBe(413);
      expect(await response.json()).toMatchObject({ error: "body_too_large" });
    }
    // Announced in Content-Length, it is refused before a byte of the body is read.
    const announced = await raw(`POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{`);
    expect(statusOf(announced)).toBe(413);
    const header = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${"p".repeat(17 * 1024)}\r\n\r\n`);
    expect(statusOf(header)).toBe(431);
    expect(errorOf(header)).toMatchObject({ error: "headers_too_large" });
  });

  it("survives a few hundred raw, odd requests, then still answers a signed slash command", async () => {
    const odd: Array<Buffer | string> = [];
    for (const method of METHODS) for (const path of PATHS) odd.push(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const contentTypes = ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "", "\u0000"];
    const bodies = ["", "{", "[]", "null", '{"payload":', "payload=%7B", "payload=not-json", "command=%2Fintegrations&text=list", '{"type":"url_verification","challenge":"x"}', "\u00ff\u00fe\u0000binary"];
    for (const path of ["/slack/events", "/api/runs", "/api/embed/cfg_1/integrations"])
      for (const type of contentTypes)
        for (const body of bodies) {
          const timestamp = Math.floor(Date.now() / 1000);
          const signed = `x-slack-request-timestamp: ${timestamp}\r\nx-slack-signature: ${slackSignature(body, TEST_SIGNING_SECRET, timestamp)}\r\n`;
          odd.push(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n${signed}Authorization: Bearer e.y.j\r\nContent-Length: ${Buffer.byteLength(body, "latin1")}\r\nConnection: close\r\n\r\n${body}`);
        }
    // Truncated bodies, lies in Content-Length, bad chunking, smuggling attempts, raw bytes, nothing at all.
    odd.push(
      "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"half\":",
      "POST /api/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nnope\r\n",
      "POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "GET /healthz HTTP/9.9\r\n\r\n",
      "GET\r\n\r\n",
      "\r\n\r\n\r\n",
      "HELLO WORLD\r\n\r\n",
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
      `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2_000 }, (_, i) => `X-H${i}: v`).join("\r\n")}\r\n\r\n`,
      "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Null: a\u0000b\r\n\r\n",
    );
    expect(odd.length).toBeGreaterThan(300);
    const answers: Array<number | undefined> = [];
    for (let i = 0; i < odd.length; i += 20) answers.push(...(await Promise.all(odd.slice(i, i + 20).map((bytes) => raw(bytes, 1_000)))).map(statusOf));
    // Every answer that came is a status the contract names; none is a 5xx.
    expect(answers.filter((status) => status !== undefined && status >= 500)).toEqual([]);
    expect(answers.filter((status) => status === 404).length).toBeGreaterThan(50);
    expect(answers.filter((status) => status === 405).length).toBeGreaterThan(50);

    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    const ack = await postSigned(t.baseUrl, slashCommandForm("show int_1", WORLD.operators.admin.slack, t.slack.responseUrl("after-odd")));
    expect(ack.status).toBe(200);
    const answer = await eventually(() => t.slack.responses.find((r) => r.method === "/response/after-odd"));
    expect(JSON.stringify(answer.body)).toContain("int_1");
  }, 120_000);
});

describe("Slack edges", () => {
  it("refuses a signed request stamped ten minutes ahead (and one ten minutes old) with 401, and does nothing", async () => {
    const form = slashCommandForm("show int_1", WORLD.operators.admin.slack, t.slack.responseUrl("future"));
    const future = await postSigned(t.baseUrl, form, { timestamp: Math.floor(Date.now() / 1000) + 600 });
    expect(future.status).toBe(401);
    const past = await postSigned(t.baseUrl, { ...form, response_url: t.slack.responseUrl("past") }, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(past.status).toBe(401);
    // Within the window, ahead by four minutes: accepted.
    const near = await postSigned(t.baseUrl, { ...form, response_url: t.slack.responseUrl("near") }, { timestamp: Math.floor(Date.now() / 1000) + 240 });
    expect(near.status).toBe(200);
    await eventually(() => t.slack.responses.find((r) => r.method === "/response/near"));
    expect(t.slack.responses.some((r) => r.method === "/response/future" || r.method === "/response/past")).toBe(false);
  });

  it("acknowledges interactivity it does not handle at once with 200", async () => {
    const user = { id: WORLD.operators.admin.slack, username: "admin", name: "admin", team_id: "T1" };
    const payloads = [
      { type: "shortcut", callback_id: "someone_elses_shortcut", trigger_id: "t1", user, team: { id: "T1" }, token: "x", action_ts: "1" },
      { type: "message_action", callback_id: "msg_shortcut", trigger_id: "t2", user, team: { id: "T1" }, channel: { id: "C0OPS" }, message: { ts: "1", text: "x" }, response_url: t.slack.responseUrl("ma"), token: "x", action_ts: "1" },
      { type: "view_submission", user, team: { id: "T1" }, view: { id: "V1", callback_id: "unknown_modal", state: { values: {} }, hash: "h", type: "modal" }, token: "x", trigger_id: "t3" },
      { type: "view_closed", user, team: { id: "T1" }, view: { id: "V1", callback_id: "unknown_modal", type: "modal" }, token: "x", is_cleared: false },
      { type: "block_actions", user, team: { id: "T1" }, actions: [{ action_id: "other_app_button", block_id: "b", type: "button", value: "v", action_ts: "1" }], trigger_id: "t4", token: "x", response_url: t.slack.responseUrl("other"), container: { type: "message" }, channel: { id: "C0OPS" } },
      { type: "block_suggestion", user, team: { id: "T1" }, action_id: "some_select", block_id: "b", value: "ab", token: "x", container: { type: "view" }, view: { id: "V1", callback_id: "x", type: "modal" } },
    ];
    for (const payload of payloads) {
      const started = Date.now();
      const response = await postSigned(t.baseUrl, { payload: JSON.stringify(payload) });
      expect(response.status, payload.type).toBe(200);
      expect(Date.now() - started, payload.type).toBeLessThan(1_500);
    }
  });
});
