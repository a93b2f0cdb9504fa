import { QueryTypes } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keptThresholds } from "../../src/data/health.ts";
import { testToken, postJson } from "../api/tokens.ts";
import { FlowEngine } from "../runner/flow-engine.ts";
import { eventually, startWorldBot, type TestBot } from "../support/bot.ts";
import type { TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, WORLD } from "../support/fixtures.ts";
import { expectedVerdict, groupedRuns, keptVerdict, rolledUp } from "../support/run-checks.ts";
import { batchIdOf, blocksOf, buttonCommand, buttonsOf, click, command, finalSummary, latestSummary, submitDialog } from "./support.ts";

const O = WORLD.operators;
const G1 = Array.from({ length: 30 }, (_, i) => `int_a${String(i + 1).padStart(2, "0")}`);
const G2 = Array.from({ length: 5 }, (_, i) => `int_b${i + 1}`);
const P1 = ["int_p1", "int_p2", "int_p3", "int_p4"];
/** Integrations of a scheduled flow of their own, each with a history: overdue (its last run failed) or stale. */
const H = Array.from({ length: 12 }, (_, i) => `int_h${String(i + 1).padStart(2, "0")}`);
const RUNS_SECRET = "bulk-runs-api-secret";

let testDb: TestDatabase;
let t: TestBot;
let engine: FlowEngine;

beforeAll(async () => {
  engine = await new FlowEngine().start();
  ({ testDb, t } = await startWorldBot({
    flowEngineUrl: engine.url,
    integrations: [
      ...G1.map((id) => ({ id })),
      { id: "int_off1", status: "disabled" as const },
      { id: "int_off2", status: "disabled" as const },
      ...G2.map((id) => ({ id, configurationId: "cfg_2" as const })),
      ...P1.map((id) => ({ id, configurationId: "cfg_3" as const, flowId: "flow_2" })),
    ],
    prepare: async (db) => {
      await db.models.EmbedFlow.create({ id: "flow_3", name: "CRM every two hours", url: null, trigger: "scheduler", triggerUrl: `${engine.url}/run` });
      await addIntegrations(db, H.map((id) => ({ id, configurationId: "cfg_3" as const, flowId: "flow_3" })));
      const at = new Date();
      const history = H.flatMap((id, i) => {
        // Every other one ran every two hours until three days ago, the last run failing (overdue); the others
        // ran twice forty days ago (stale).
        const end = at.getTime() - (i % 2 ? 40 : 3) * 86_400_000;
        return Array.from({ length: i % 2 ? 2 : 5 }, (_, n) => {
          const failed = i % 2 === 0 && n === 0;
          const startedAt = new Date(end - n * 2 * 3_600_000);
          return { id: `hist_${id}_${n}`, integrationId: id, status: failed ? ("error" as const) : ("success" as const), trigger: "scheduler" as const, startedAt, finishedAt: startedAt, error: failed ? "HTTP 401 from the CRM" : null };
        });
      });
      await addRuns(db, history, at);
      const recent = new Date(Date.now() - 2 * 86_400_000);
      await addRuns(
        db,
        G1.slice(0, 4).flatMap((id) => [1, 2, 3].map((n) => ({ id: `old_${id}_${n}`, integrationId: id, status: "error" as const, trigger: "scheduler" as const, startedAt: new Date(recent.getTime() + n * 60_000), error: `401 from HubSpot ${n}` }))),
        new Date(),
      );
      // The manager may view Beta Group but not manage it: its integrations are counted apart, never touched.
      const manager = await db.models.Operator.findOne({ where: { email: O.manager.email } });
      const now = new Date();
      await db.models.Grant.create({ operatorId: manager!.id, slackUsergroupId: null, permission: "view", groupId: "g2", subjectKey: `op:${manager!.id}`, scopeKey: "g2", createdBy: "fixture", createdAt: now, updatedAt: now });
    },
    env: { RUNNER_SIGNING_SECRET: "bulk-secret", RUNS_API_SECRET: RUNS_SECRET, PRICE_PER_RUN: "0.5", RUNNER_TIMEOUT_MS: "3000" },
    bot: { batchTiming: { pollMs: 50, summaryIntervalMs: 200 } },
  }));
});

afterAll(async () => {
  await t?.stop();
  await engine?.stop();
  await testDb?.drop();
});

describe("preview", () => {
  it("says how many per group, the first ten and what is left apart; nothing happens yet", async () => {
    const preview = await command(t, "run flow:flow_1", O.admin.slack);
    expect(preview.body.response_type).toBe("ephemeral");
    expect(String(preview.body.text)).toBe("Run 35 integrations in 2 groups? (flow:flow_1)");
    expect(blocksOf(preview)).toContain("Acme Partners (`g1`): 30");
    expect(blocksOf(preview)).toContain("Beta Group (`g2`): 5");
    expect(blocksOf(preview)).toContain("int_a10");
    expect(blocksOf(preview)).not.toContain("int_a11");
    expect(blocksOf(preview)).toContain("25 more");
    expect(blocksOf(preview)).toContain("2 already disabled");
    expect(buttonsOf(preview).map((b) => b.text.text)).toEqual(["Confirm"]);
    expect(engine.requests).toHaveLength(0);
  });

  it("counts the integrations the caller may not act on apart, and gives a disable's runs and cost of the last 30 days", async () => {
    const preview = await command(t, 'disable flow:flow_1 reason:"nobody uses it"', O.manager.slack);
    expect(String(preview.body.text)).toBe("Disable 30 integrations in 1 group? (flow:flow_1)");
    expect(blocksOf(preview)).toContain("5 integrations of the result you may not disable (left alone)");
    expect(blocksOf(preview)).toContain("ran 12 times, about 6.00 EUR");
    expect(blocksOf(preview)).toContain("nobody uses it");
  });

  it("says so when the filter matches nothing, and offers nothing to confirm", async () => {
    const none = await command(t, "run flow:flow_nope", O.admin.slack);
    expect(blocksOf(none)).toContain("Nothing to run");
    expect(buttonsOf(none)).toHaveLength(0);
    const viewer = await command(t, "run flow:flow_1", O.viewer.slack);
    expect(blocksOf(viewer)).toContain("Can run");
    const bare = await command(t, "disable reason:x", O.admin.slack);
    expect(blocksOf(bare)).toContain("at least one filter");
  });
});

describe("a bulk run", () => {
  it("asks for the typed count in a dialog, starts once, keeps BULK_CONCURRENCY in flight and counts the engine's later reports", async () => {
    engine.reset();
    engine.answer = () => ({ status: 202, hold: true });
    const preview = await command(t, "run flow:flow_1", O.admin.slack);
    const batchId = batchIdOf(preview);

    // Above 20: Confirm opens a dialog with the click's trigger id; a wrong count is refused inside it.
    const first = await click(t, `confirm ${batchId}`, O.admin.slack);
    expect(first.dialog).toBeDefined();
    expect(String(first.dialog!.body.trigger_id)).toMatch(/^trigger-/);
    expect(JSON.stringify(first.dialog!.body.view)).toContain("Type 35 to confirm");
    expect((await submitDialog(t, first.dialog!, "34", O.admin.slack)).ack).toMatchObject({ response_action: "errors" });
    expect((await submitDialog(t, first.dialog!, "lots", O.admin.slack)).ack).toMatchObject({ response_action: "errors" });
    const typedWrong = await command(t, `confirm ${batchId} 36`, O.admin.slack);
    expect(blocksOf(typedWrong)).toContain("not the count");
    expect(engine.requests).toHaveLength(0);

    // Another operator may not confirm someone else's preview.
    const stranger = await command(t, `confirm ${batchId} 35`, O.runner.slack);
    expect(blocksOf(stranger)).toContain("Only admin@example.com");

    const started = await submitDialog(t, first.dialog!, "35", O.admin.slack);
    expect(blocksOf(started.answer)).toContain(`Batch \`${batchId}\` started`);
    // A double click: the second confirmation starts nothing.
    const again = await submitDialog(t, first.dialog!, "35", O.admin.slack);
    expect(blocksOf(again.answer)).toContain("already confirmed");

    for (const expected of [4, 8, 12]) {
      await eventually(() => (engine.requests.length === expected ? true : undefined), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(engine.requests.length).toBe(expected);
      expect(engine.pending).toBeLessThanOrEqual(4);
      engine.release();
    }
    engine.answer = () => ({ status: 202, delayMs: 5 });
    engine.release();
    await eventually(() => (engine.requests.length === 35 ? true : undefined), 15_000);
    expect(engine.maxInFlight).toBe(4);
    expect(new Set(engine.requests.map((r) => r.body.integration_id)).size).toBe(35);

    // Every request accepted: the batch waits for the engine's reports, then counts them.
    const running = await eventually(() => {
      const last = latestSummary(t, batchId);
      return last && String(last.body.text).includes("35 running") ? last : undefined;
    }, 10_000);
    expect(buttonsOf(running).map((b) => b.text.text)).not.toContain("Undo");
    const now = Math.floor(Date.now() / 1000);
    const events = engine.requests.map((request) => {
      const failed = String(request.body.integration_id).startsWith("int_b");
      return {
        run_id: request.body.run_id,
        integration_id: request.body.integration_id,
        status: failed ? "error" : "success",
        started_at: new Date().toISOString(),
        finished_at: new Date().toISOString(),
        ...(failed ? { error: "quota exceeded" } : {}),
      };
    });
    const posted = await postJson(`${t.baseUrl}/api/runs`, events, await testToken({ secret: RUNS_SECRET, now }));
    expect(posted.status).toBe(202);
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("30 succeeded, 5 failed, 0 running, 0 skipped");
    expect(blocksOf(final)).toContain("quota exceeded");
    // One message, posted once, updated a handful of times rather than once per member.
    const posts = t.slack.callsTo("chat.postMessage").filter((call) => blocksOf(call).includes(batchId));
    expect(posts).toHaveLength(1);
    const updates = t.slack.callsTo("chat.update").filter((call) => blocksOf(call).includes(batchId));
    expect(updates.length).toBeLessThan(20);
    expect(new Set(updates.map((u) => `${u.body.channel} ${u.body.ts}`)).size).toBe(1);
    expect(updates[0]!.body.channel).toBe(posts[0]!.body.channel);

    const db = t.bot.runtime.db;
    const audit = await db.models.AuditEvent.findOne({ where: { action: "bulk-run", targetId: batchId } });
    expect(audit!.actor).toBe(O.admin.email);
    expect(audit!.detail).toContain("35 integrations");
    expect(await db.models.AuditEvent.count({ where: { action: "run", actor: O.admin.email, outcome: "ok" } })).toBeGreaterThanOrEqual(35);
  });

  it("stops at Abort: members not acted on are left alone; abort after the end is refused", async () => {
    engine.reset();
    engine.answer = () => ({ status: 200, body: { status: "success" }, hold: true });
    const preview = await command(t, "run flow:flow_1 group:g1", O.runner.slack);
    const batchId = batchIdOf(preview);
    // The console's way: the count typed after the batch id.
    const started = await command(t, `confirm ${batchId} 30`, O.runner.slack);
    expect(blocksOf(started)).toContain("started");
    await eventually(() => (engine.requests.length === 4 ? true : undefined), 10_000);
    const summary = await eventually(() => latestSummary(t, batchId));
    const abortCommand = buttonCommand(summary, "Abort");

    const denied = await click(t, abortCommand, O.viewer.slack);
    expect(blocksOf(denied.answer)).toContain("Only the requester");
    const aborted = await click(t, abortCommand, O.manager.slack);
    expect(blocksOf(aborted.answer)).toContain("Aborted batch");
    engine.release();
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toMatch(/aborted by manager@example.com/);
    expect(String(final.body.text)).toContain("4 succeeded");
    expect(String(final.body.text)).toContain("26 not done (aborted)");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(engine.requests).toHaveLength(4);
    const late = await click(t, abortCommand, O.runner.slack);
    expect(blocksOf(late.answer)).toContain("nothing to abort");
  });

  it("withdraws the runs claimed ahead at Abort: the engine never gets them, their members end aborted, their runs, days and verdicts are as before", async () => {
    const db = t.bot.runtime.db;
    const latest = async () =>
      new Map(
        (await db.sequelize.query<Record<string, unknown>>(
          "SELECT id, latest_run_id, latest_run_status, latest_run_error, latest_error_signature, activity_at, manual_run_id, health, health_reason FROM integrations WHERE id IN (:ids)",
          { replacements: { ids: H }, type: QueryTypes.SELECT },
        )).map((row) => [String(row.id), JSON.stringify({ ...row, activity_at: new Date(String(row.activity_at).replace(" +00:00", "Z")).toISOString() })]),
      );
    const before = await latest();
    expect([...before.values()].filter((row) => row.includes('"health":"overdue"'))).toHaveLength(6);
    expect([...before.values()].filter((row) => row.includes('"health":"stale"'))).toHaveLength(6);
    engine.reset();
    engine.answer = () => ({ status: 200, body: { status: "success" }, hold: true });
    const preview = await command(t, "run flow:flow_3", O.admin.slack);
    const batchId = batchIdOf(preview);
    await click(t, `confirm ${batchId}`, O.admin.slack);
    await eventually(() => (engine.requests.length === 4 ? true : undefined), 10_000);
    // While the four requests are out, the next members' runs are claimed: recorded running, not sent.
    const manualRuns = () => db.models.FlowRun.findAll({ where: { integrationId: H, trigger: "manual" }, attributes: ["id", "integrationId", "status"], raw: true });
    await eventually(async () => ((await manualRuns()).length > 4 ? true : undefined), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = new Set(engine.requests.map((request) => String(request.body.integration_id)));
    const ahead = (await manualRuns()).filter((run) => !sent.has(run.integrationId));
    expect(ahead.length).toBeGreaterThan(0);
    expect(ahead.length).toBeLessThanOrEqual(4);
    expect(ahead.every((run) => run.status === "running")).toBe(true);
    expect(engine.requests).toHaveLength(4);

    const summary = await eventually(() => latestSummary(t, batchId));
    expect(blocksOf((await click(t, buttonCommand(summary, "Abort"), O.admin.slack)).answer)).toContain("Aborted batch");
    engine.release();
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("4 succeeded");
    expect(String(final.body.text)).toContain("8 not done (aborted)");
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The engine got the four requests that were out, none of the runs claimed ahead.
    expect(engine.requests).toHaveLength(4);
    expect(engine.maxInFlight).toBeLessThanOrEqual(4);
    expect(await db.models.FlowRun.count({ where: { id: ahead.map((run) => run.id) } })).toBe(0);
    const members = await db.sequelize.query<Record<string, unknown>>("SELECT integration_id, state, outcome, run_id FROM batch_members WHERE batch_id = :batchId AND integration_id IN (:ids)", {
      replacements: { batchId, ids: ahead.map((run) => run.integrationId) },
      type: QueryTypes.SELECT,
    });
    expect(members.map((m) => [m.state, m.outcome, m.run_id ?? null])).toEqual(ahead.map(() => ["done", "aborted", null]));
    // Their integrations are as before the batch: free to run, the same latest run, error signature, activity and verdict.
    const after = await latest();
    for (const run of ahead) expect(after.get(run.integrationId)).toBe(before.get(run.integrationId));
    expect(await rolledUp(db, H)).toEqual(await groupedRuns(db, H));
    const now = new Date();
    const rules = await keptThresholds(db);
    for (const id of H) {
      const expected = await expectedVerdict(db, id, now, rules);
      const kept = await keptVerdict(db, id);
      expect({ id, health: kept.health, reason: kept.reason }).toEqual({ id, health: expected.verdict, reason: expected.reason });
    }
    // The audit log keeps the requests, and says each was withdrawn before it was sent.
    const withdrawn = await db.models.AuditEvent.findAll({ where: { action: "run", targetId: ahead.map((run) => run.integrationId) }, order: [["id", "ASC"]], raw: true });
    for (const run of ahead) {
      const entries = withdrawn.filter((entry) => entry.targetId === run.integrationId).map((entry) => entry.detail);
      expect(entries).toEqual([expect.stringContaining(run.id), `${run.id}: withdrawn before its request was sent (aborted by admin@example.com)`]);
    }
  });

  it("reports an engine that refuses, hangs or answers 429 as failed, with the reason", async () => {
    engine.reset();
    engine.answer = (request) => {
      const id = String(request.body.integration_id);
      if (id === "int_b1") return { status: 429, body: { error: "slow down" } };
      if (id === "int_b2") return { status: 500, body: { error: "engine down" } };
      if (id === "int_b3") return { hold: true };
      return { status: 200, body: { status: "success" } };
    };
    const preview = await command(t, "run config:cfg_2", O.admin.slack);
    const batchId = batchIdOf(preview);
    await click(t, `confirm ${batchId}`, O.admin.slack);
    const final = await finalSummary(t, batchId, 20_000);
    expect(String(final.body.text)).toContain("2 succeeded, 3 failed, 0 running, 0 skipped");
    expect(blocksOf(final)).toContain("429");
    expect(blocksOf(final)).toContain("500");
    expect(blocksOf(final)).toMatch(/3000 ?ms|timed out|time limit/i);
    engine.release();
  });
});

describe("bulk disable and undo", () => {
  it("disables exactly the previewed set, and Undo enables exactly those it changed, once", async () => {
    const db = t.bot.runtime.db;
    const preview = await command(t, 'disable flow:flow_2 reason:"unused"', O.admin.slack);
    expect(String(preview.body.text)).toContain("Disable 4 integrations");
    const batchId = batchIdOf(preview);
    // One of them is disabled by hand before the confirmation: the batch finds it already so.
    await command(t, "disable int_p4 broken by hand", O.admin.slack);
    await click(t, `confirm ${batchId}`, O.admin.slack);
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("3 disabled, 1 already so, 0 skipped");
    expect(blocksOf(final)).toContain("Their runs in the last 30 days");
    expect(blocksOf(final)).toContain("0.00 EUR");
    const undoCommand = buttonCommand(final, "Enable");
    expect(undoCommand).toBe(`undo ${batchId}`);
    expect((await db.models.Integration.findByPk("int_p1"))!.disabledReason).toBe("unused");

    const manager = await click(t, undoCommand, O.manager.slack);
    expect(blocksOf(manager.answer)).toContain("Can manage");
    const undone = await click(t, undoCommand, O.admin.slack);
    expect(blocksOf(undone.answer)).toContain("Undoing batch");
    const undoId = /as batch `(b_[0-9a-f]+)`/.exec(blocksOf(undone.answer))![1]!;
    const undoFinal = await finalSummary(t, undoId);
    expect(String(undoFinal.body.text)).toContain("3 enabled, 0 already so, 0 skipped");
    const statuses = await db.models.Integration.findAll({ where: { id: P1 }, order: [["id", "ASC"]] });
    expect(statuses.map((i) => [i.id, i.status])).toEqual([
      ["int_p1", "enabled"],
      ["int_p2", "enabled"],
      ["int_p3", "enabled"],
      ["int_p4", "disabled"],
    ]);
    expect((await db.models.Integration.findByPk("int_p4"))!.disabledReason).toBe("broken by hand");

    const twice = await click(t, undoCommand, O.admin.slack);
    expect(blocksOf(twice.answer)).toContain("already undone");
    const list = await command(t, "batches", O.admin.slack);
    expect(blocksOf(list)).toContain(undoId);
    expect(blocksOf(list)).toContain(`undo of ${batchId}`);
    const runUndo = await command(t, `undo ${batchIdOf(await command(t, "run flow:flow_2", O.admin.slack))}`, O.admin.slack);
    expect(blocksOf(runUndo)).toContain("cannot be undone");
    const bad = await command(t, "undo int_p1", O.admin.slack);
    expect(blocksOf(bad)).toContain("batch id");
  });

  it("lists only the batches the caller may view", async () => {
    const viewer = await command(t, "batches", O.viewer.slack);
    expect(blocksOf(viewer)).not.toContain("undo of");
    const other = await command(t, "batches", O.other.slack);
    expect(blocksOf(other)).not.toContain("flow:flow_2");
  });
});

describe("receipts", () => {
  it("answers a single disable with who, why, the last three errors, the last 30 days' runs and cost, and Enable", async () => {
    const answer = await command(t, "disable int_a02 nobody uses it", O.manager.slack);
    expect(answer.body.response_type).toBe("in_channel");
    const text = blocksOf(answer);
    expect(text).toContain("was disabled by <@UMANAGE>: nobody uses it");
    expect(text).toContain("Runs in the last 30 days");
    expect(text).toMatch(/\d+\.\d\d EUR/);
    for (const n of [1, 2, 3]) expect(text).toContain(`401 from HubSpot ${n}`);
    expect(buttonCommand(answer, "Enable")).toBe("enable int_a02");
  });
});
