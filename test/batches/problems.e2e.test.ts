import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowEngine } from "../runner/flow-engine.ts";
import { startWorldBot, type TestBot } from "../support/bot.ts";
import type { TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, WORLD } from "../support/fixtures.ts";
import { batchIdOf, blocksOf, command, finalSummary } from "./support.ts";

// A finished batch says which members failed and why: grouped by reason, largest first, with the first ids.

const O = WORLD.operators;
const RUN = Array.from({ length: 16 }, (_, i) => `int_r${String(i + 1).padStart(2, "0")}`);
const OFF = Array.from({ length: 6 }, (_, i) => `int_d${i + 1}`);

let testDb: TestDatabase;
let t: TestBot;
let engine: FlowEngine;

beforeAll(async () => {
  engine = await new FlowEngine().start();
  ({ testDb, t } = await startWorldBot({
    flowEngineUrl: engine.url,
    integrations: [...RUN.map((id) => ({ id })), ...OFF.map((id) => ({ id, flowId: "flow_2" }))],
    env: { RUNNER_SIGNING_SECRET: "problems-secret", RUNNER_TIMEOUT_MS: "3000" },
    bot: { batchTiming: { pollMs: 50, summaryIntervalMs: 200 } },
  }));
});

afterAll(async () => {
  await t?.stop();
  await engine?.stop();
  await testDb?.drop();
});

/** The section of a summary that lists its problems, as plain text. */
function problemSection(call: { body: Record<string, unknown> }): string {
  const sections = (call.body.blocks as Array<{ type: string; text?: { text: string } }>).filter((block) => block.type === "section").map((block) => block.text?.text ?? "");
  return sections.find((text) => text.includes(" × ")) ?? "";
}

describe("a finished batch's problems", () => {
  it("groups a bulk run's failures by the engine's answer, largest first, with counts and the first ids", async () => {
    // The engine refuses ten with 429, three with 500, and runs the other three.
    const verdict = new Map(RUN.map((id, i) => [id, i % 16 < 10 ? 429 : i < 13 ? 500 : 200]));
    engine.answer = (request) => {
      const status = verdict.get(String(request.body.integration_id))!;
      if (status === 429) return { status: 429, body: { error: "slow down" } };
      if (status === 500) return { status: 500, body: { error: "engine down" } };
      return { status: 200, body: { status: "success" } };
    };
    const preview = await command(t, "run flow:flow_1", O.admin.slack);
    const batchId = batchIdOf(preview);
    await command(t, `confirm ${batchId} 16`, O.admin.slack);
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("3 succeeded, 13 failed, 0 running, 0 skipped");
    const lines = problemSection(final).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^• \*10 × failed\*: The flow engine answered 429[^\n]*slow down — `int_r01` \(Integration int_r01\), `int_r02`, `int_r03` and 7 more$/);
    expect(lines[1]).toMatch(/^• \*3 × failed\*: The flow engine answered 500[^\n]*engine down — `int_r11` \(Integration int_r11\), `int_r12`, `int_r13`$/);
    expect(blocksOf(final)).not.toContain("int_r14");
    // `batches` counts them too.
    const list = await command(t, "batches", O.admin.slack);
    expect(blocksOf(list)).toContain("3 succeeded, 13 failed");
  });

  it("names the members a bulk disable could not disable, and why, in its receipt", async () => {
    const db = t.bot.runtime.db;
    const preview = await command(t, 'disable flow:flow_2 reason:"retired"', O.admin.slack);
    const batchId = batchIdOf(preview);
    // Two are deleted between the preview and the confirmation.
    await db.models.Integration.destroy({ where: { id: ["int_d2", "int_d5"] } });
    await command(t, `confirm ${batchId}`, O.admin.slack);
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("4 disabled, 0 already so, 2 skipped");
    expect(problemSection(final)).toBe("• *2 × skipped*: deleted meanwhile — `int_d2` (Integration int_d2), `int_d5`");
    expect(blocksOf(final)).toContain("Their runs in the last 30 days");
  });

  it("keeps many different reasons within Block Kit's limits: five groups and a count of the others", async () => {
    const many = Array.from({ length: 40 }, (_, i) => `int_m${String(i + 1).padStart(2, "0")}`);
    const db = t.bot.runtime.db;
    await db.models.EmbedFlow.create({ id: "flow_3", name: "Many reasons", url: null, trigger: "scheduler", triggerUrl: `${engine.url}/run` });
    await addIntegrations(db, many.map((id) => ({ id, flowId: "flow_3", name: `${"A very long integration name ".repeat(4)}${id}` })));
    // Forty different answers, one of them twice as long as a summary line may quote.
    engine.answer = (request) => ({ status: 503, body: { error: `${String(request.body.integration_id)} ${"x".repeat(300)}` } });
    const preview = await command(t, "run flow:flow_3", O.admin.slack);
    const batchId = batchIdOf(preview);
    await command(t, `confirm ${batchId} 40`, O.admin.slack);
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("0 succeeded, 40 failed");
    const section = problemSection(final);
    expect(section.split("\n")).toHaveLength(6);
    expect(section).toContain("• … and 35 other reasons.");
    expect(section.length).toBeLessThan(3000);
    for (const block of final.body.blocks as Array<{ text?: { text: string } }>) expect((block.text?.text ?? "").length).toBeLessThanOrEqual(3000);
  });

  it("claims apart the members it cannot claim with the others: one with a manual run still running, one disabled meanwhile", async () => {
    const db = t.bot.runtime.db;
    const copies = ["int_c1", "int_c2", "int_c3", "int_c4", "int_c5"];
    await db.models.EmbedFlow.create({ id: "flow_4", name: "Contended", url: null, trigger: "scheduler", triggerUrl: `${engine.url}/run` });
    await addIntegrations(db, copies.map((id) => ({ id, flowId: "flow_4" })));
    engine.reset();
    engine.answer = () => ({ status: 200, body: { status: "success" } });
    const preview = await command(t, "run flow:flow_4", O.admin.slack);
    const batchId = batchIdOf(preview);
    // Before the confirmation: someone runs int_c2 by hand (still running), and int_c4 is disabled.
    await addRuns(db, [{ id: "run_by_hand", integrationId: "int_c2", status: "running", trigger: "manual", startedAt: new Date(), requestedBy: O.runner.email }], new Date());
    await db.models.Integration.update({ manualRunId: "run_by_hand" }, { where: { id: "int_c2" } });
    await db.models.Integration.update({ status: "disabled" }, { where: { id: "int_c4" } });
    await command(t, `confirm ${batchId}`, O.admin.slack);
    const final = await finalSummary(t, batchId);
    expect(String(final.body.text)).toContain("3 succeeded, 0 failed, 0 running, 2 skipped");
    const section = problemSection(final);
    expect(section).toContain("• *1 × skipped*: a manual run is still running (run_by_hand) — `int_c2`");
    expect(section).toContain("• *1 × skipped*: disabled meanwhile — `int_c4`");
    expect(engine.requests.map((r) => r.body.integration_id).sort()).toEqual(["int_c1", "int_c3", "int_c5"]);
  });
});
