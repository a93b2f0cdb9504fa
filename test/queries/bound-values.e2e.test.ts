import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepExportsApart } from "../support/exports.ts";
import { COMMANDS } from "../../commands/index.ts";
import { FakeClock } from "../../src/clock.ts";
import type { Database } from "../../src/data/database.ts";
import { encodeCursor } from "../../src/data/keyset.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { tablesDigest } from "../support/fuzz.ts";
import { startTestBot, type TestBot } from "../support/bot.ts";
import { postJson, testToken } from "../api/tokens.ts";
import { actorFor, NOW, recordingMessages, testConfig } from "../jobs/support.ts";

/**
 * Every value below carries the mark `zqk7`. A value that reaches the database only as a bound parameter never
 * shows in a statement's text; one written into the text (escaped or not) does, whatever its escaping.
 */
const MARK = "zqk7";
const VALUES = [
  `${MARK}a'\\%_\u2603\u202ex1`,
  `${MARK}b$1`,
  `${MARK}c:name`,
  `${MARK}d\u200f\u05d0\u{1F600}''`,
  `${MARK}e${"x".repeat(245)}`,
  `${MARK}f__proto__`,
];

/** Email addresses with the mark, valid enough to pass the edge. */
const EMAILS = [`${MARK}.a@example.com`, `${MARK}+b@example.com`];

/** Command shapes (`V` for the value) whose statements may still carry a typed value in their text: none. */
const STILL_INLINED: readonly string[] = [];

// It runs `export` with every marked value.
keepExportsApart();

let testDb: TestDatabase;
let db: Database;
let runtime: Runtime;
let statements: string[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open({ onStatement: (sql) => statements.push(sql) });
  await loadWorld(db);
  await addIntegrations(db, [{ id: "int_1", name: "HubSpot sync" }]);
  const directory = { emailOf: async (id: string) => (id === WORLD.operators.admin.slack ? WORLD.operators.admin.email : undefined), membersOf: async () => [] };
  runtime = await openRuntime(testConfig(testDb.url), { db, clock: new FakeClock(NOW), messages: recordingMessages(), directory, commands: COMMANDS });
});

afterAll(async () => {
  await runtime?.close();
  await db?.close();
  await testDb?.drop();
});

/** A value as typed on the command line. */
function typed(value: string): string {
  return `"${value}"`;
}

/** A `Next page` link of `list` (no filters) whose keyset cursor carries `id` and a time (int_1's activity is 2026-09-21). */
function pageLink(id: string, at: string): string {
  const key = createHash("sha256").update("list ").digest("base64url").slice(0, 6);
  return `${key}.2.${encodeCursor(new Date(at), id)}`;
}

/** Texts that carry user values into every command that takes any, with what their answer must say. */
function texts(value: string): Array<[string, RegExp]> {
  const v = typed(value);
  const noRows = /"text":"Integrations matching `[^`]*`: 0 on page 1"/;
  const noIntegration = /"text":":warning: No integration `/;
  const noAuths = /"text":"Connector auths matching `[^`]*`: 0"/;
  const nothingToRun = /"text":"Nothing to run: /;
  const notABatch = /takes a batch id such as/;
  const badLink = /"text":":warning: This page link is no longer valid/;
  return [
    [`list ${v}`, noRows],
    [`list group:${v}`, /"text":":warning: No group or partner with id or name `/],
    ...["config", "account", "user", "flow"].map((key): [string, RegExp] => [`list ${key}:${v}`, noRows]),
    [`list int ${v} sync`, noRows],
    // A cursor's id has at most 200 characters; a longer one is a link that was tampered with.
    [`list after:${pageLink(value, "2026-11-01T00:00:00Z")}`, value.length > 200 ? badLink : /"text":"Integrations: 1 on page 2"/],
    [`list after:${pageLink(value, "2026-09-01T00:00:00Z")}`, value.length > 200 ? badLink : /"text":"Integrations: 0 on page 2"/],
    [`export ${v}`, /"text":"Exported 0 integrations matching `/],
    [`export config:${v}`, /"text":"Exported 0 integrations matching `/],
    [`rerun failing ${v}`, nothingToRun],
    [`rerun failing flow:${v}`, nothingToRun],
    ...["show", "runs", "run", "disable", "enable", "snooze"].map((command): [string, RegExp] => [`${command} ${v}`, noIntegration]),
    ...["config", "account", "user", "connector"].map((key): [string, RegExp] => [`auths ${key}:${v}`, noAuths]),
    [`audit ${v}`, /"text":"Audit log for `[^`]*`: 0"/],
    [`grant ${EMAILS[0]} view group:g1`, /"text":":warning: No operator has the email /],
    [`grant ${WORLD.operators.viewer.email} view group:${v}`, /"text":":warning: No group or partner has the id `/],
    [`revoke ${WORLD.operators.viewer.email} view group:${v}`, /"text":":warning: No group or partner has the id `/],
    [`link <@UZQKSEVEN> ${EMAILS[1]}`, /is now linked to|already linked/],
    [`revoke ${EMAILS[1]} view group:g1`, /"text":":warning: zqk7\+b@example\.com was never granted Can view/],
    [`audit ${EMAILS[1]}`, /"text":"Audit log for `[^`]*`: \d+"/],
    ...["confirm", "approve", "abort", "undo"].map((command): [string, RegExp] => [`${command} ${v}`, notABatch]),
  ];
}

describe(`user values reach the database only as bound parameters (${TEST_DIALECT})`, () => {
  it("no typed value shows in the text of any statement, and every answer is a clear one", async () => {
    const admin = await actorFor(db, WORLD.operators.admin.email);
    const origin = { transport: "slack" as const, channelId: "CBOUND" };
    const inlined = new Map<string, string>();
    const unclear: string[] = [];
    for (const value of VALUES) {
      for (const [text, answer] of texts(value)) {
        statements = [];
        const reply = JSON.stringify((await runtime.dispatcher.handle(text, admin, origin)).doc);
        if (reply.includes("Something went wrong") || !answer.test(reply)) unclear.push(`${text.slice(0, 80)} → ${reply.slice(0, 300)}`);
        const shape = text.replace(typed(value), "V").replace(value, "V");
        for (const sql of statements) if (sql.toLowerCase().includes(MARK)) inlined.set(shape, sql.slice(0, 300));
      }
    }
    expect(unclear).toEqual([]);
    expect([...inlined].filter(([shape]) => !STILL_INLINED.includes(shape))).toEqual([]);
  }, 120_000);

  it("a disable's reason, alone and as a bulk action through its preview, confirmation and run", async () => {
    const admin = await actorFor(db, WORLD.operators.admin.email);
    const origin = { transport: "slack" as const, channelId: "CBOUND" };
    const reasons: Array<string | null> = [];
    runtime.batchWorker.start();
    statements = [];
    for (const value of VALUES) {
      await runtime.dispatcher.handle(`disable int_1 ${typed(value)}`, admin, origin);
      reasons.push((await db.models.Integration.findByPk("int_1"))!.disabledReason);
      await runtime.dispatcher.handle("enable int_1", admin, origin);
      const preview = JSON.stringify((await runtime.dispatcher.handle(`disable status:enabled reason:${typed(value)}`, admin, origin)).doc);
      const confirmed = JSON.stringify((await runtime.dispatcher.handle(`confirm ${/b_[0-9a-f]{12}/.exec(preview)?.[0]} 1`, admin, origin)).doc);
      expect(confirmed).toMatch(/Batch `b_[0-9a-f]{12}` started: 1 integrations/);
      await runtime.batchWorker.idle();
      reasons.push((await db.models.Integration.findByPk("int_1"))!.disabledReason);
      await runtime.dispatcher.handle("enable int_1", admin, origin);
    }
    expect(reasons).toEqual(VALUES.flatMap((value) => [value, value]));
    expect(statements.filter((sql) => sql.toLowerCase().includes(MARK)).map((sql) => sql.slice(0, 300))).toEqual([]);
  });

  it("read-only commands change nothing", async () => {
    const viewerDigest = await tablesDigest(db);
    const admin = await actorFor(db, WORLD.operators.admin.email);
    for (const value of VALUES) {
      for (const text of [`list ${typed(value)}`, `show ${typed(value)}`, `auths connector:${typed(value)}`, `export group:${typed(value)}`]) {
        await runtime.dispatcher.handle(text, admin, { transport: "slack", channelId: "CBOUND" });
      }
    }
    const { AuditEvent: _before, ...before } = viewerDigest;
    const { AuditEvent: _after, ...after } = await tablesDigest(db);
    expect(after).toEqual(before);
  });
});

describe(`the HTTP API's values reach the database only as bound parameters (${TEST_DIALECT})`, () => {
  const clock = new FakeClock(NOW);
  const now = () => Math.floor(clock.now().getTime() / 1000);
  let apiDb: TestDatabase;
  let bot: TestBot;
  let sent: string[] = [];

  beforeAll(async () => {
    apiDb = await createTestDatabase();
    const setup = await apiDb.open();
    await loadWorld(setup);
    await addIntegrations(setup, [{ id: "int_1" }]);
    await setup.close();
    bot = await startTestBot(apiDb.url, { RUNS_API_SECRET: "runs-secret" }, { clock, onStatement: (sql) => sent.push(sql) });
  });

  afterAll(async () => {
    await bot?.stop();
    await apiDb?.drop();
  });

  /** Posts, and gives the answer with the statements the request sent that carry the mark. */
  async function post(path: string, body: unknown, token: string) {
    sent = [];
    const answer = await postJson(`${bot.baseUrl}${path}`, body, token);
    const seen = sent.length;
    return { status: answer.status, error: answer.body.error, seen, inlined: sent.filter((sql) => sql.toLowerCase().includes(MARK)).map((sql) => sql.slice(0, 200)) };
  }

  it("embed activation and deactivation: configuration, account, user, flow, connector names and integration ids", async () => {
    const user = (value: string, account = "acc_1") => testToken({ secret: "cfg-1-secret-value", now: now(), claims: { embed_user_id: value, embed_account_id: account } });
    const valid = await user("u_1");
    for (const value of VALUES.filter((candidate) => candidate.length <= 200)) {
      expect(await post(`/api/embed/${encodeURIComponent(value)}/integrations`, { flow_id: "flow_1" }, valid)).toMatchObject({ error: "unknown_configuration", inlined: [] });
      // The claimed account picks the signing secret before the token is verified.
      expect(await post("/api/embed/cfg_1/integrations", { flow_id: "flow_1" }, await user("u_1", value))).toMatchObject({ inlined: [] });
      expect(await post("/api/embed/cfg_1/integrations", { flow_id: value }, valid)).toMatchObject({ status: 404, error: "unknown_flow", inlined: [] });
      const activated = await post("/api/embed/cfg_1/integrations", { flow_id: "flow_1", connector_auths: [{ connector_name: value }] }, await user(value, value));
      expect(activated).toMatchObject({ inlined: [] });
      expect(activated.status).toBeLessThan(500);
      expect(await post(`/api/embed/cfg_1/integrations/${encodeURIComponent(value)}/deactivate`, {}, valid)).toMatchObject({ status: 404, error: "unknown_integration", inlined: [] });
    }
  });

  it("run events: run ids, integration ids and errors", async () => {
    const token = await testToken({ secret: "runs-secret", now: now() });
    const at = "2026-11-20T10:00:00.000Z";
    const outcomes = [];
    for (const [i, value] of VALUES.filter((candidate) => candidate.length <= 200).entries()) {
      const unknown = await post("/api/runs", [{ run_id: `r_${i}`, integration_id: value, status: "success", started_at: at, finished_at: at }], token);
      const stored = await post("/api/runs", [{ run_id: value, integration_id: "int_1", status: "error", started_at: at, finished_at: at, error: value }], token);
      outcomes.push({ unknown, stored });
    }
    for (const { unknown, stored } of outcomes) {
      expect(unknown).toMatchObject({ status: 400, error: "invalid_run_event" });
      expect(stored).toMatchObject({ status: 202 });
      // The statements were seen (run events are recorded on the ingestion worker, which reports them).
      expect(stored.seen).toBeGreaterThan(3);
      expect([...unknown.inlined, ...stored.inlined]).toEqual([]);
    }
  });
});
