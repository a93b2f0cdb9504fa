import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowEngine } from "../runner/flow-engine.ts";
import { eventually, startWorldBot, type TestBot } from "../support/bot.ts";
import type { TestDatabase } from "../support/database.ts";
import { WORLD } from "../support/fixtures.ts";
import { batchIdOf, blocksOf, buttonCommand, buttonsOf, click, command, finalSummary, latestSummary } from "./support.ts";

const O = WORLD.operators;
const G1 = Array.from({ length: 6 }, (_, i) => `int_a${i + 1}`);

let testDb: TestDatabase;
let t: TestBot;
let engine: FlowEngine;

beforeAll(async () => {
  engine = await new FlowEngine().start();
  ({ testDb, t } = await startWorldBot({
    flowEngineUrl: engine.url,
    integrations: [...G1.map((id) => ({ id })), { id: "int_small" , flowId: "flow_2" }],
    env: { RUNNER_SIGNING_SECRET: "approval-secret", APPROVAL_ABOVE: "2" },
    bot: { batchTiming: { pollMs: 50, summaryIntervalMs: 100 } },
  }));
});

afterAll(async () => {
  await t?.stop();
  await engine?.stop();
  await testDb?.drop();
});

describe("approval above APPROVAL_ABOVE", () => {
  it("waits for a second operator who may act on every member; the requester and the others cannot approve", async () => {
    engine.answer = () => ({ status: 200, body: { status: "success" } });
    const preview = await command(t, "run flow:flow_1", O.runner.slack);
    expect(blocksOf(preview)).toContain("second operator");
    const batchId = batchIdOf(preview);
    const confirmed = await click(t, `confirm ${batchId}`, O.runner.slack);
    expect(blocksOf(confirmed.answer)).toContain("waits for a second operator");
    const waiting = await eventually(() => latestSummary(t, batchId));
    expect(buttonsOf(waiting).map((b) => b.text.text)).toEqual(["Approve", "Abort"]);
    const approve = buttonCommand(waiting, "Approve");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.requests).toHaveLength(0);

    const self = await click(t, approve, O.runner.slack);
    expect(blocksOf(self.answer)).toContain("a second operator must approve");
    const other = await click(t, approve, O.other.slack);
    expect(blocksOf(other.answer)).toContain("Acme Partners");
    const viewer = await click(t, approve, O.viewer.slack);
    expect(blocksOf(viewer.answer)).toContain("Can run");
    const unmapped = await click(t, approve, "UNKNOWN1");
    expect(blocksOf(unmapped.answer)).toContain("not linked");
    expect(engine.requests).toHaveLength(0);

    const approved = await click(t, approve, O.manager.slack);
    expect(blocksOf(approved.answer)).toContain("Approved");
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("6 succeeded");
    expect(blocksOf(final)).toContain(`approved by <@${O.manager.slack}>`);
    expect(blocksOf(final)).toContain(`requested by <@${O.runner.slack}>`);
    expect(engine.requests).toHaveLength(6);
    const again = await click(t, approve, O.admin.slack);
    expect(blocksOf(again.answer)).toContain("not waiting for approval");

    const db = t.bot.runtime.db;
    const audit = await db.models.AuditEvent.findAll({ where: { targetId: batchId }, order: [["id", "ASC"]] });
    expect(audit.map((a) => [a.action, a.actor, a.outcome])).toEqual([
      ["bulk-run", O.runner.email, "ok"],
      ["approve", O.runner.email, "denied"],
      ["approve", O.other.email, "denied"],
      ["approve", O.viewer.email, "denied"],
      ["approve", O.manager.email, "ok"],
      ["approve", O.admin.email, "noop"],
    ]);
  });

  it("refuses an approval after an hour, and nothing runs", async () => {
    engine.reset();
    const preview = await command(t, "run flow:flow_1", O.runner.slack);
    const batchId = batchIdOf(preview);
    await click(t, `confirm ${batchId}`, O.runner.slack);
    const waiting = await eventually(() => latestSummary(t, batchId));
    // An hour and a minute pass.
    await t.bot.runtime.db.sequelize.query("UPDATE batches SET expires_at = :past WHERE id = :id", { replacements: { past: new Date(Date.now() - 60_000), id: batchId } });
    const late = await click(t, buttonCommand(waiting, "Approve"), O.manager.slack);
    expect(blocksOf(late.answer)).toMatch(/expired/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(engine.requests).toHaveLength(0);
    const list = await command(t, "batches", O.admin.slack);
    expect(blocksOf(list)).toMatch(new RegExp(`${batchId}[^\\]]*expired`));
  });

  it("starts at once at or below the threshold", async () => {
    engine.reset();
    engine.answer = () => ({ status: 200, body: { status: "success" } });
    const preview = await command(t, "run flow:flow_2", O.admin.slack);
    expect(blocksOf(preview)).not.toContain("second operator");
    const batchId = batchIdOf(preview);
    const started = await click(t, `confirm ${batchId}`, O.admin.slack);
    expect(blocksOf(started.answer)).toContain("started");
    await finalSummary(t, batchId);
    expect(engine.requests).toHaveLength(1);
  });

  it("lets an approval request be aborted, by its requester, with nothing done", async () => {
    engine.reset();
    const preview = await command(t, "run flow:flow_1", O.runner.slack);
    const batchId = batchIdOf(preview);
    await click(t, `confirm ${batchId}`, O.runner.slack);
    const waiting = await eventually(() => latestSummary(t, batchId));
    const aborted = await click(t, buttonCommand(waiting, "Abort"), O.runner.slack);
    expect(blocksOf(aborted.answer)).toContain("Aborted batch");
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("before it started");
    const approve = await click(t, `approve ${batchId}`, O.manager.slack);
    expect(blocksOf(approve.answer)).toContain("not waiting for approval");
    expect(engine.requests).toHaveLength(0);
  });
});
