import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFailureAlertsJob } from "../../jobs/failure-alerts.ts";
import type { RunInput } from "../../src/data/flow-runs.ts";
import { FlowEngine } from "../runner/flow-engine.ts";
import { eventually, startWorldBot, type TestBot } from "../support/bot.ts";
import type { TestDatabase } from "../support/database.ts";
import { addRuns, WORLD } from "../support/fixtures.ts";
import { batchIdOf, blocksOf, buttonsOf, click, finalSummary } from "./support.ts";

// An incident's `Re-run affected`, clicked in the alerts channel, runs the incident's members the clicker may run
// through the batch engine: preview, Confirm, the run requests, the summary's final counts.

const O = WORLD.operators;
const CHANNEL = "C0ALERTS";
const RUNNER_SECRET = "incident-rerun-runner-secret";
// Copies of one flow failing with one outage: o1 and o4 in g1 (Rita may run them), o2 and o5 in g2, o3 in p1.
const CONFIG_OF = { o1: "cfg_1", o2: "cfg_2", o3: "cfg_3", o4: "cfg_1", o5: "cfg_2" } as const;
const MEMBERS = Object.keys(CONFIG_OF) as Array<keyof typeof CONFIG_OF>;
const outage = (id: string) => `Salesforce answered 503 for request req_${id}9f3a1: "Service Unavailable"`;

let testDb: TestDatabase;
let t: TestBot;
let engine: FlowEngine;

beforeAll(async () => {
  engine = await new FlowEngine().start();
  ({ testDb, t } = await startWorldBot({
    flowEngineUrl: engine.url,
    integrations: [
      ...MEMBERS.map((id) => ({ id, name: `Copy ${id}`, configurationId: CONFIG_OF[id] })),
      // In g1 too, but not failing with the outage: never part of the re-run.
      { id: "healthy", name: "Healthy copy" },
      { id: "other", name: "Other failure" },
    ],
    prepare: async (db) => {
      const start = Date.now() - 20 * 60_000;
      const failed = (integrationId: string, error: string): RunInput[] =>
        [0, 1, 2].map((n) => {
          const startedAt = new Date(start + n * 60_000);
          return { id: `r_${integrationId}_${n}`, integrationId, status: "error", trigger: "scheduler", startedAt, finishedAt: startedAt, error };
        });
      await addRuns(db, [...MEMBERS.flatMap((id) => failed(id, outage(id))), ...failed("other", "HubSpot answered 401: token revoked")], new Date());
      // Rita may view Beta Group but not run there: its members are counted apart, never run. Gamma Partner she may not see.
      const rita = await db.models.Operator.findOne({ where: { email: O.runner.email } });
      const now = new Date();
      await db.models.Grant.create({ operatorId: rita!.id, slackUsergroupId: null, permission: "view", groupId: "g2", subjectKey: `op:${rita!.id}`, scopeKey: "g2", createdBy: "fixture", createdAt: now, updatedAt: now });
      await addRuns(db, [{ id: "r_healthy", integrationId: "healthy", status: "success", trigger: "scheduler", startedAt: new Date(start), finishedAt: new Date(start) }], new Date());
    },
    // The schedule stays out of the way: the test fires the alerts itself.
    env: { RUNNER_SIGNING_SECRET: RUNNER_SECRET, ALERTS_CHANNEL: CHANNEL, ALERTS_CRON: "0 0 1 1 *", HOUSEKEEPING_CRON: "0 0 1 1 *" },
    bot: { batchTiming: { pollMs: 50, summaryIntervalMs: 200 } },
  }));
});

afterAll(async () => {
  await t?.stop();
  await engine?.stop();
  await testDb?.drop();
});

describe("Re-run affected", () => {
  it("runs, after Confirm, exactly the incident's members the clicker may run, and counts the others apart", async () => {
    const runtime = t.bot.runtime;
    await createFailureAlertsJob().perform({ runtime, firedAt: new Date(), dryRun: false, messages: runtime.services.messages, actor: { kind: "job", job: "failure-alerts" } });
    const incident = await eventually(() => t.slack.callsTo("chat.postMessage").find((call) => call.body.channel === CHANNEL && blocksOf(call).includes("Re-run affected")), 10_000);
    const button = buttonsOf(incident).find((b) => b.text.text === "Re-run affected")!;
    expect(button.value).toMatch(/^rerun failing incident:inc_[0-9a-z]+$/);

    // o4 is still broken; o1 recovered.
    engine.answer = (request) => (request.body.integration_id === "o4" ? { status: 200, body: { status: "error", error: "still unavailable" } } : { status: 200, body: { status: "success" } });
    // Rita may run g1 only: the preview takes o1 and o4, counts o2 and o5 (g2, which she may view) apart.
    const preview = (await click(t, button.value, O.runner.slack, CHANNEL)).answer!;
    expect(String(preview.body.text)).toContain("Run 2 integrations in 1 group");
    expect(blocksOf(preview)).toContain("2 integrations of the result you may not run (left alone)");
    expect(engine.requests).toHaveLength(0);

    const batchId = batchIdOf(preview);
    const started = (await click(t, `confirm ${batchId}`, O.runner.slack, CHANNEL)).answer!;
    expect(blocksOf(started)).toContain(`Batch \`${batchId}\` started`);
    const final = await finalSummary(t, batchId);
    expect(final.body.channel).toBe(CHANNEL);
    expect(String(final.body.text)).toContain("1 succeeded, 1 failed, 0 running, 0 skipped");
    expect(blocksOf(final)).toContain("2 left alone (not permitted)");
    expect(blocksOf(final)).toContain("*1 × failed*: still unavailable — `o4` (Copy o4)");

    // The engine got one signed request for each of o1 and o4, as Rita's, and nothing else.
    expect(engine.requests.map((r) => r.body.integration_id).sort()).toEqual(["o1", "o4"]);
    for (const request of engine.requests) {
      expect(request.body).toMatchObject({ requested_by: O.runner.email, trigger: "manual" });
      const { payload } = await jwtVerify(request.token, new TextEncoder().encode(RUNNER_SECRET));
      expect(payload.jti).toBe(request.body.run_id);
    }
    const db = runtime.db;
    const manual = await db.models.FlowRun.findAll({ where: { trigger: "manual" }, order: [["integrationId", "ASC"]] });
    expect(manual.map((run) => [run.integrationId, run.status, run.requestedBy])).toEqual([
      ["o1", "success", O.runner.email],
      ["o4", "error", O.runner.email],
    ]);
    const audit = await db.models.AuditEvent.findOne({ where: { action: "bulk-run", targetId: batchId } });
    expect(audit!.actor).toBe(O.runner.email);
    expect(audit!.detail).toContain(`incident:`);
  });
});
