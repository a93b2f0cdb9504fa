import { decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import { findOperatorByEmail, operatorActor } from "../../src/data/operators.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import { announceRunOutcomes } from "../../src/runner/run-outcome.ts";
import { createRunner, type Runner } from "../../src/runner/runner.ts";
import type { ChannelMessages, MessageRef } from "../../src/reply/messages.ts";
import type { Doc } from "../../src/reply/document.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { recordRuns } from "../../src/data/flow-runs.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { closedPort, FlowEngine } from "./flow-engine.ts";

const SECRET = "runner-signing-secret-for-tests";
const clock = new FakeClock("2026-11-20T12:00:00Z");

let testDb: TestDatabase;
let db: Database;
let engine: FlowEngine;
let runner: Runner;
let actor: Actor;
const updates: Array<{ ref: MessageRef; doc: Doc }> = [];

/** Channel messages that only remember what they were asked to do. */
const messages: ChannelMessages = {
  async post(channel) {
    return { channel, ts: `${updates.length + 1}.0001` };
  },
  async update(ref, doc) {
    updates.push({ ref, doc });
  },
};

function runnerWith(env: Record<string, string>): Runner {
  const config = loadConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: "silent", ...env });
  return createRunner({ db, config, clock, messages });
}

async function runOnce(integrationId: string, requestKey?: string) {
  const claim = await runner.claim({ integrationId, actor, requestKey });
  if (claim.kind !== "claimed") throw new Error(`expected a claim, got ${claim.kind}`);
  return runner.send(claim.run, claim.integration, actor);
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  engine = await new FlowEngine().start();
  const refused = await closedPort();
  await db.models.EmbedFlow.update({ triggerUrl: `${engine.url}/flows/flow_1` }, { where: { id: "flow_1" } });
  await addIntegrations(db, [
    { id: "int_flow" },
    { id: "int_own", triggerUrl: `${engine.url}/own/int_own` },
    { id: "int_state" },
    { id: "int_500" },
    { id: "int_refused", triggerUrl: `http://127.0.0.1:${refused}/run` },
    { id: "int_hang" },
    { id: "int_ftp", triggerUrl: "ftp://engine.example.com/run" },
    { id: "int_nourl", flowId: "flow_2" },
    { id: "int_busy" },
    { id: "int_retry" },
    { id: "int_race" },
    { id: "int_done" },
    { id: "int_off", status: "disabled" },
    { id: "int_unsigned" },
    { id: "int_later" },
  ]);
  await db.models.Integration.update({ embedState: JSON.stringify({ plan: "pro", region: "eu" }) }, { where: { id: "int_state" } });
  const operator = await findOperatorByEmail(db, WORLD.operators.runner.email);
  actor = await operatorActor(db, operator!, { slackUserId: WORLD.operators.runner.slack });
  runner = runnerWith({ RUNNER_SIGNING_SECRET: SECRET, RUNNER_TIMEOUT_MS: "400" });
});

afterAll(async () => {
  await engine?.stop();
  await db?.close();
  await testDb?.drop();
});

beforeEach(() => {
  engine.reset();
  clock.advance(60_000);
});

describe("the run request", () => {
  it("is signed with RUNNER_SIGNING_SECRET and carries the contract's claims and body", async () => {
    const run = await runOnce("int_state");
    expect(engine.requests).toHaveLength(1);
    const request = engine.requests[0]!;
    expect(request.path).toBe("/flows/flow_1");
    expect(decodeProtectedHeader(request.token).alg).toBe("HS256");
    const { payload } = await jwtVerify(request.token, new TextEncoder().encode(SECRET), { algorithms: ["HS256"], currentDate: clock.now() });
    expect(payload.jti).toBe(run.id);
    expect(payload.integration_id).toBe("int_state");
    expect(payload.embed_user_id).toBe("u_int_state");
    expect(payload.embed_account_id).toBe("acc_int_state");
    expect(payload.requested_by).toBe(WORLD.operators.runner.email);
    expect(payload.exp! - Math.floor(clock.now().getTime() / 1000)).toBe(300);
    await expect(jwtVerify(request.token, new TextEncoder().encode("another-secret"))).rejects.toThrow();
    expect(request.body).toEqual({
      run_id: run.id,
      integration_id: "int_state",
      embed_user_id: "u_int_state",
      embed_account_id: "acc_int_state",
      embed_state: { plan: "pro", region: "eu" },
      requested_by: WORLD.operators.runner.email,
      trigger: "manual",
    });
  });

  it("goes to the integration's own trigger_url before its flow's", async () => {
    await runOnce("int_own");
    expect(engine.requests.map((r) => r.path)).toEqual(["/own/int_own"]);
  });

  it("leaves the run running on a 2xx, and records success when the engine says so", async () => {
    const running = await runOnce("int_flow");
    expect(running.status).toBe("running");
    expect((await db.models.Integration.findByPk("int_flow"))!.manualRunId).toBe(running.id);

    engine.answer = () => ({ status: 200, body: { status: "success" } });
    const done = await runOnce("int_done");
    expect(done.status).toBe("success");
    expect(done.finishedAt).not.toBeNull();
    const integration = (await db.models.Integration.findByPk("int_done"))!;
    expect(integration.latestRunStatus).toBe("success");
    expect(integration.manualRunId).toBeNull();
  });

  it("records an engine 500 as an error run with the reason", async () => {
    engine.answer = () => ({ status: 500, body: { error: "database is down" } });
    const run = await runOnce("int_500");
    expect(run.status).toBe("error");
    expect(run.error).toContain("500");
    expect(run.error).toContain("database is down");
    const integration = (await db.models.Integration.findByPk("int_500"))!;
    expect(integration.latestRunStatus).toBe("error");
    expect(integration.latestRunError).toBe(run.error);
    expect(integration.manualRunId).toBeNull();
  });

  it("records a refused connection as an error run with the reason", async () => {
    const run = await runOnce("int_refused");
    expect(run.status).toBe("error");
    expect(run.error).toMatch(/refused the connection/);
  });

  it("gives up on an engine that hangs after RUNNER_TIMEOUT_MS and records why", async () => {
    engine.answer = () => ({ hold: true });
    const run = await runOnce("int_hang");
    expect(engine.requests).toHaveLength(1);
    expect(run.status).toBe("error");
    expect(run.error).toMatch(/did not answer within 400 ms/);
  });

  it("sends nothing to a trigger URL that is not http(s), or when there is none, and records why", async () => {
    const ftp = await runOnce("int_ftp");
    expect(ftp.status).toBe("error");
    expect(ftp.error).toMatch(/not http\(s\)/);
    const none = await runOnce("int_nourl");
    expect(none.status).toBe("error");
    expect(none.error).toMatch(/no.*trigger URL|neither/);
    expect(engine.requests).toHaveLength(0);
  });

  it("audits who asked and how it went", async () => {
    engine.answer = () => ({ status: 500 });
    const run = await runOnce("int_retry");
    const events = await db.models.AuditEvent.findAll({ where: { action: "run", targetId: "int_retry" }, order: [["id", "ASC"]] });
    expect(events.map((e) => [e.actor, e.outcome])).toEqual([
      [WORLD.operators.runner.email, "ok"],
      [WORLD.operators.runner.email, "error"],
    ]);
    expect(events[0]!.detail).toContain(run.id);
    expect(events[1]!.detail).toContain("500");
  });
});

describe("one manual run at a time", () => {
  it("answers a second claim while the first still runs with that run, and sends nothing", async () => {
    const first = await runOnce("int_busy");
    expect(first.status).toBe("running");
    const second = await runner.claim({ integrationId: "int_busy", actor });
    expect(second.kind).toBe("running");
    if (second.kind === "running") {
      expect(second.run.id).toBe(first.id);
      expect(second.run.requestedBy).toBe(WORLD.operators.runner.email);
    }
    expect(engine.requests).toHaveLength(1);
  });

  it("lets exactly one of many simultaneous claims win", async () => {
    const claims = await Promise.all(Array.from({ length: 6 }, () => runner.claim({ integrationId: "int_race", actor })));
    expect(claims.filter((claim) => claim.kind === "claimed")).toHaveLength(1);
    expect(claims.filter((claim) => claim.kind === "running")).toHaveLength(5);
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_race" } })).toBe(1);
  });

  it("claims nothing for a retry of the same request, even after the run ended", async () => {
    engine.answer = () => ({ status: 200, body: { status: "error", error: "401 from HubSpot" } });
    const run = await runOnce("int_done", "trigger-abc");
    expect(run.status).toBe("error");
    expect(run.error).toBe("401 from HubSpot");
    const retry = await runner.claim({ integrationId: "int_done", actor, requestKey: "trigger-abc" });
    expect(retry.kind).toBe("duplicate");
    expect(engine.requests).toHaveLength(1);
  });

  it("does not run a disabled integration", async () => {
    const claim = await runner.claim({ integrationId: "int_off", actor });
    expect(claim.kind).toBe("disabled");
    expect(await db.models.FlowRun.count({ where: { integrationId: "int_off" } })).toBe(0);
  });

  it("frees the integration once a run event ends its manual run", async () => {
    // A run event for the running manual run ends it: the next claim goes through.
    const running = await db.models.FlowRun.findOne({ where: { integrationId: "int_busy" } });
    await addRuns(db, [{ id: running!.id, integrationId: "int_busy", status: "success", startedAt: running!.startedAt, finishedAt: clock.now() }], clock.now());
    const next = await runner.claim({ integrationId: "int_busy", actor });
    expect(next.kind).toBe("claimed");
  });
});

describe("outcomes reported later", () => {
  it("update the run's Slack message when a run event ends it", async () => {
    const claim = await runner.claim({ integrationId: "int_later", actor });
    if (claim.kind !== "claimed") throw new Error(claim.kind);
    await runner.attachMessage(claim.run.id, { ref: { channel: "C0OPS", ts: "42.0001" } });
    const running = await runner.send(claim.run, claim.integration, actor);
    expect(running.status).toBe("running");
    const before = updates.length;
    const changed = await db.sequelize.transaction((transaction) =>
      recordRuns(db, [{ id: running.id, integrationId: "int_later", status: "error", startedAt: running.startedAt, finishedAt: clock.now(), error: "HubSpot said no" }], transaction, clock.now()),
    );
    expect(changed.changedManualRuns.map((run) => run.id)).toEqual([running.id]);
    const config = loadConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: "silent" });
    await announceRunOutcomes({ db, config, clock, services: { messages } }, changed.changedManualRuns);
    const update = updates.slice(before).at(-1)!;
    expect(update.ref).toEqual({ channel: "C0OPS", ts: "42.0001" });
    expect(update.doc.text).toContain("failed");
    expect(update.doc.text).toContain("HubSpot said no");
    expect(update.doc.text).toContain("<@URUN>");
  });
});

describe("without RUNNER_SIGNING_SECRET", () => {
  it("says it is not configured and records an error without sending", async () => {
    const unsigned = runnerWith({});
    expect(unsigned.configured).toBe(false);
    const claim = await unsigned.claim({ integrationId: "int_unsigned", actor });
    if (claim.kind !== "claimed") throw new Error(claim.kind);
    const run = await unsigned.send(claim.run, claim.integration, actor);
    expect(run.status).toBe("error");
    expect(run.error).toContain("RUNNER_SIGNING_SECRET");
    expect(engine.requests).toHaveLength(0);
  });
});
