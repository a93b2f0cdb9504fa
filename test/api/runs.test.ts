import { Op } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.ts";
import type { Database } from "../../src/data/database.ts";
import { eventually, startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";
import { postJson, testToken, unsignedToken } from "./tokens.ts";

const clock = new FakeClock("2026-11-20T12:00:00Z");
const now = () => Math.floor(clock.now().getTime() / 1000);
const SECRET = "runs-api-secret-for-tests";

let testDb: TestDatabase;
let t: TestBot;
let db: Database;
let token: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const setup = await testDb.open();
  await loadWorld(setup);
  await addIntegrations(setup, Array.from({ length: 15 }, (_, i) => ({ id: `int_${i + 1}` })));
  await setup.close();
  t = await startTestBot(testDb.url, { RUNS_API_SECRET: SECRET }, { clock });
  db = t.bot.runtime.db;
  token = await testToken({ secret: SECRET, now: now() });
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute)).toISOString();

function event(runId: string, integrationId: string, status: string, started: number, finished?: number, extra: Record<string, unknown> = {}) {
  return { run_id: runId, integration_id: integrationId, status, started_at: at(started), ...(finished !== undefined ? { finished_at: at(finished) } : {}), ...extra };
}

/** `null` sends no Authorization header at all. */
function send(body: unknown, bearer: string | null = token) {
  return postJson(`${t.baseUrl}/api/runs`, body, bearer ?? undefined);
}

describe("POST /api/runs authentication", () => {
  const refused: Array<[string, () => Promise<string | null> | string | null, string]> = [
    ["no token", () => null, "missing_token"],
    ["a malformed token", () => "abc.def", "invalid_token"],
    ["the wrong secret", () => testToken({ secret: "cfg-1-secret-value", now: now() }), "invalid_token"],
    ["alg none", () => unsignedToken({ iat: now(), exp: now() + 600 }), "invalid_token"],
    ["HS512", () => testToken({ secret: SECRET, now: now(), alg: "HS512" }), "invalid_token"],
    ["an expired token", () => testToken({ secret: SECRET, now: now(), iat: now() - 7200, exp: now() - 3600 }), "token_expired"],
    ["a token without exp", () => testToken({ secret: SECRET, now: now(), omit: ["exp"] }), "missing_claim"],
  ];
  for (const [name, make, code] of refused) {
    it(`refuses ${name} with 401 ${code}, storing nothing`, async () => {
      const answer = await send(event(`run_auth_${code}`, "int_1", "success", 1, 2), await make());
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe(code);
      expect(await db.models.FlowRun.count({ where: { id: `run_auth_${code}` } })).toBe(0);
    });
  }
});

describe("POST /api/runs", () => {
  it("stores one event and updates the integration's latest run (202 with the count)", async () => {
    const answer = await send(event("run_one", "int_1", "error", 1, 2, { error: "401 from HubSpot", trigger: "webhook" }));
    expect(answer.status).toBe(202);
    expect(answer.body.count).toBe(1);
    const run = (await db.models.FlowRun.findByPk("run_one"))!;
    expect([run.status, run.trigger, run.error]).toEqual(["error", "webhook", "401 from HubSpot"]);
    const integration = (await db.models.Integration.findByPk("int_1"))!;
    expect([integration.latestRunId, integration.latestRunStatus, integration.latestRunError, integration.failuresInRow]).toEqual(["run_one", "error", "401 from HubSpot", 1]);
  });

  it("refuses control characters in ids with a clear 400, and keeps an error text with a NUL minus the NUL", async () => {
    for (const [field, value] of [["run_id", "run_\u0000nul"], ["integration_id", "int_1\u0000"], ["run_id", "run_\u001bx"]] as const) {
      const answer = await send({ ...event("run_ctl", "int_1", "success", 1, 2), [field]: value });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe("invalid_run_event");
      expect(answer.body.message).toContain(`${field}: must not contain control characters`);
    }
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_1", id: { [Op.like]: "run_%nul" } } })).toBe(0);
    const nul = await send(event("run_nul_error", "int_1", "error", 3, 4, { error: "bad\u0000 byte\tand tab" }));
    expect(nul.status).toBe(202);
    expect((await db.models.FlowRun.findByPk("run_nul_error"))!.error).toBe("bad byte\tand tab");
  });

  it("keeps an error of 10 KB or more by its first 10,000 characters instead of refusing the run", async () => {
    const trace = `Error: sync failed\n${"    at step (flow.js:1:1)\n".repeat(1000)}`;
    expect(trace.length).toBeGreaterThan(10_240);
    const answer = await send(event("run_long_error", "int_1", "error", 5, 6, { error: trace }));
    expect(answer.status).toBe(202);
    const stored = (await db.models.FlowRun.findByPk("run_long_error"))!.error!;
    expect(stored.length).toBe(10_000);
    expect(stored).toBe(`${trace.slice(0, 9_999)}…`);
  });

  it("rejects a whole batch when one event is invalid, naming its index, and stores nothing", async () => {
    const batch = Array.from({ length: 6 }, (_, i) => event(`run_bad_${i}`, "int_2", "success", i, i + 1));
    batch[3] = { ...batch[3]!, status: "finished" };
    const answer = await send(batch);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_run_event");
    expect(answer.body.message).toMatch(/^\[3\]\.status: /);
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_2" } })).toBe(0);
    expect((await db.models.Integration.findByPk("int_2"))!.latestRunId).toBeNull();
  });

  it("names every kind of bad field: dates without a zone, finished before started, missing ids", async () => {
    const noZone = await send([event("run_z", "int_2", "success", 1), { ...event("run_z2", "int_2", "success", 1), started_at: "2026-11-20 10:00" }]);
    expect(noZone.status).toBe(400);
    expect(noZone.body.message).toContain("[1].started_at");
    const backwards = await send(event("run_b", "int_2", "success", 5, 1));
    expect(backwards.status).toBe(400);
    expect(backwards.body.message).toBe("finished_at: must not be before started_at");
    const noId = await send([{ integration_id: "int_2", status: "running", started_at: at(1) }]);
    expect(noId.status).toBe(400);
    expect(noId.body.message).toContain("[0].run_id");
    const notObject = await send(["run"]);
    expect(notObject.status).toBe(400);
    const empty = await send([]);
    expect(empty.status).toBe(400);
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_2" } })).toBe(0);
  });

  it("refuses a run dated more than an hour ahead of the bot's clock, which would stay the latest run until then", async () => {
    const run = (id: string, started: string, finished?: string) => ({ run_id: id, integration_id: "int_15", status: "success", started_at: started, ...(finished ? { finished_at: finished } : {}) });
    const future = await send(run("run_future", "2030-01-01T00:00:00Z", "2030-01-01T00:01:00Z"));
    expect(future.status).toBe(400);
    expect(future.body.message).toBe("finished_at: is more than 60 minutes ahead of the bot's clock (2026-11-20T12:00:00.000Z)");
    const batch = await send([run("run_soon", "2026-11-20T12:50:00Z", "2026-11-20T12:59:00Z"), { ...run("run_later", "2026-11-20T13:01:00Z"), status: "running" }]);
    expect(batch.status).toBe(400);
    expect(batch.body.message).toBe("[1].started_at: is more than 60 minutes ahead of the bot's clock (2026-11-20T12:00:00.000Z)");
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_15" } })).toBe(0);
    // Within the hour (an engine whose clock runs a little fast) is accepted.
    const soon = await send(run("run_soon", "2026-11-20T12:50:00Z", "2026-11-20T13:00:00Z"));
    expect(soon.status).toBe(202);
    expect((await db.models.Integration.findByPk("int_15"))!.latestRunId).toBe("run_soon");
  });

  it("rejects unknown integrations and runs reported for another integration, naming the index", async () => {
    const unknown = await send([event("run_u1", "int_3", "success", 1, 2), event("run_u2", "int_3", "success", 3, 4), event("run_u3", "int_nope", "success", 5, 6)]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe("[2].integration_id: no integration `int_nope`.");
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_3" } })).toBe(0);
    expect((await send(event("run_owned", "int_3", "running", 1))).status).toBe(202);
    const moved = await send([event("run_owned", "int_4", "success", 1, 2)]);
    expect(moved.status).toBe(400);
    expect(moved.body.message).toContain("[0].integration_id: run `run_owned` belongs to integration `int_3`");
    expect((await db.models.FlowRun.findByPk("run_owned"))!.status).toBe("running");
  });

  it("never lets a late `running` replace a finished status, across requests and within a batch", async () => {
    expect((await send(event("run_ooo", "int_5", "success", 10, 12))).status).toBe(202);
    const late = await send(event("run_ooo", "int_5", "running", 10));
    expect(late.status).toBe(202);
    expect(late.body).toMatchObject({ count: 1, written: 0, ignored: 1 });
    expect((await db.models.FlowRun.findByPk("run_ooo"))!.status).toBe("success");
    // Within one batch, delivered newest first.
    expect((await send([event("run_ooo2", "int_6", "error", 20, 21, { error: "boom" }), event("run_ooo2", "int_6", "retrying", 20), event("run_ooo2", "int_6", "running", 20)])).status).toBe(202);
    const run = (await db.models.FlowRun.findByPk("run_ooo2"))!;
    expect([run.status, run.error]).toEqual(["error", "boom"]);
    const integration = (await db.models.Integration.findByPk("int_6"))!;
    expect([integration.latestRunStatus, integration.failuresInRow]).toEqual(["error", 1]);
    // An older run arriving late does not become the latest run.
    expect((await send(event("run_older", "int_6", "success", 1, 2))).status).toBe(202);
    const after = (await db.models.Integration.findByPk("int_6"))!;
    expect([after.latestRunId, after.latestRunStatus, after.lastSuccessAt?.toISOString()]).toEqual(["run_ooo2", "error", at(2)]);
  });

  it("counts the failure streak again when an older run's outcome arrives after newer runs", async () => {
    expect((await send([event("run_s1", "int_12", "error", 1, 2, { error: "a" }), event("run_s3", "int_12", "error", 5, 6, { error: "c" }), event("run_s2", "int_12", "running", 3)])).status).toBe(202);
    expect((await db.models.Integration.findByPk("int_12"))!.failuresInRow).toBe(2);
    // The run that started between the two errors succeeded: only the newest error is left in the streak.
    expect((await send(event("run_s2", "int_12", "success", 3, 4))).status).toBe(202);
    const integration = (await db.models.Integration.findByPk("int_12"))!;
    expect([integration.latestRunId, integration.latestRunStatus, integration.failuresInRow, integration.failingSince?.toISOString(), integration.lastSuccessAt?.toISOString()]).toEqual(["run_s3", "error", 1, at(5), at(4)]);
  });

  it("accepts 1000 events in one batch and refuses 1001", async () => {
    const batch = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => event(`${prefix}_${i}`, `int_${7 + (i % 5)}`, i % 3 === 0 ? "error" : "success", i % 60, i % 60));
    const tooMany = await send(batch(1001, "run_over"));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toBe("batch_too_large");
    expect(await db.models.FlowRun.count({ where: { integrationId: ["int_7", "int_8", "int_9", "int_10", "int_11"] } })).toBe(0);
    const full = await send(batch(1000, "run_full"));
    expect(full.status).toBe(202);
    expect(full.body).toMatchObject({ count: 1000, written: 1000 });
    expect(await db.models.FlowRun.count({ where: { integrationId: ["int_7", "int_8", "int_9", "int_10", "int_11"] } })).toBe(1000);
  });

  it("updates the Slack message of a manual run when the engine reports its outcome", async () => {
    await db.models.FlowRun.create({
      id: "run_manual", integrationId: "int_13", status: "running", trigger: "manual", startedAt: new Date(at(30)), finishedAt: null, error: null,
      requestedBy: "runner@example.com", slackChannel: "C0OPS", slackTs: "1700000000.000100", slackResponseUrl: null,
    });
    await db.models.Integration.update({ manualRunId: "run_manual" }, { where: { id: "int_13" } });
    const answer = await send(event("run_manual", "int_13", "error", 30, 31, { error: "CRM said 500" }));
    expect(answer.status).toBe(202);
    const update = await eventually(() => t.slack.callsTo("chat.update").find((call) => call.body.ts === "1700000000.000100"));
    expect(update.body.channel).toBe("C0OPS");
    expect(JSON.stringify(update.body)).toContain("CRM said 500");
    const run = (await db.models.FlowRun.findByPk("run_manual"))!;
    expect([run.status, run.trigger, run.requestedBy, run.slackTs]).toEqual(["error", "manual", "runner@example.com", "1700000000.000100"]);
    expect((await db.models.Integration.findByPk("int_13"))!.manualRunId).toBeNull();
  });

  it("loses no update when batches for one integration arrive at the same time", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => send([event(`run_par_${i}`, "int_14", "error", 40 + i, 40 + i, { error: `failure ${i}` })])));
    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    const integration = (await db.models.Integration.findByPk("int_14"))!;
    expect([integration.latestRunId, integration.failuresInRow, integration.failingSince?.toISOString()]).toEqual(["run_par_7", 8, at(40)]);
  });

  it("answers a body that is not JSON with 400 invalid_json", async () => {
    const answer = await postJson(`${t.baseUrl}/api/runs`, undefined, token, "[{");
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_json");
  });
});

describe("POST /api/runs without RUNS_API_SECRET", () => {
  it("answers 401 runs_api_not_configured and stores nothing", async () => {
    const bare = await startTestBot(testDb.url, {}, { clock });
    try {
      const answer = await postJson(`${bare.baseUrl}/api/runs`, event("run_nosecret", "int_1", "success", 1, 2), token);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe("runs_api_not_configured");
      expect(await db.models.FlowRun.count({ where: { id: "run_nosecret" } })).toBe(0);
    } finally {
      await bare.stop();
    }
  });
});
