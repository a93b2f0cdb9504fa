import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startWorldBot, type TestBot } from "../support/bot.ts";
import type { TestDatabase } from "../support/database.ts";
import { addRuns, WORLD } from "../support/fixtures.ts";
import type { RecordedCall } from "../support/slack-api.ts";
import { buttonClickForm, postSigned, slashCommandForm } from "../support/slack-request.ts";
import { FlowEngine } from "../runner/flow-engine.ts";

const O = WORLD.operators;
const FAILING_G1 = Array.from({ length: 11 }, (_, i) => `int_f${String(i + 1).padStart(2, "0")}`);

let testDb: TestDatabase;
let t: TestBot;
let engine: FlowEngine;

beforeAll(async () => {
  engine = await new FlowEngine().start();
  const failed = (id: string) => ({ id: `old_${id}`, integrationId: id, status: "error" as const, trigger: "scheduler" as const, startedAt: new Date("2026-11-19T10:00:00Z"), error: "401 from HubSpot" });
  ({ testDb, t } = await startWorldBot({
    flowEngineUrl: engine.url,
    integrations: [...FAILING_G1.map((id) => ({ id })), { id: "int_ok" }, { id: "int_off", status: "disabled" }, { id: "int_g2", configurationId: "cfg_2" }],
    prepare: (db) =>
      addRuns(db, [
        ...FAILING_G1.map(failed),
        failed("int_off"),
        failed("int_g2"),
        { id: "old_ok", integrationId: "int_ok", status: "success", trigger: "scheduler", startedAt: new Date("2026-11-19T10:00:00Z") },
      ]),
    // One failed run makes an integration failing here, so each fixture's single error counts.
    env: { RUNNER_SIGNING_SECRET: "rerun-secret", FAILING_AFTER_ERRORS: "1" },
    bot: { batchTiming: { pollMs: 50, summaryIntervalMs: 200 } },
  }));
});

afterAll(async () => {
  await t?.stop();
  await engine?.stop();
  await testDb?.drop();
});

async function send(form: Record<string, string>, responseId: string): Promise<RecordedCall> {
  const response = await postSigned(t.baseUrl, form);
  expect(response.status).toBe(200);
  return eventually(() => t.slack.responses.find((r) => r.method === `/response/${responseId}`));
}
const blocksOf = (call: RecordedCall) => JSON.stringify(call.body.blocks);
const buttons = (call: RecordedCall) =>
  (call.body.blocks as Array<{ type: string; elements?: Array<{ value: string; text: { text: string } }> }>)
    .filter((block) => block.type === "actions")
    .flatMap((block) => block.elements ?? []);

describe("rerun failing (a bulk run of the failing integrations)", () => {
  it("asks once with the count, then re-runs every failing integration the clicker may run, four at a time", async () => {
    const confirmation = await send(slashCommandForm("rerun failing", O.runner.slack, t.slack.responseUrl("c1")), "c1");
    expect(confirmation.body.response_type).toBe("ephemeral");
    expect(String(confirmation.body.text)).toBe("Run 11 integrations in 1 group? (failing)");
    const [button] = buttons(confirmation);
    expect(button!.text.text).toBe("Confirm");
    expect(button!.value).toMatch(/^confirm b_/);
    expect(engine.requests).toHaveLength(0);

    // Odd integrations fail again, even ones succeed; the engine holds every answer until released.
    engine.answer = (request) => {
      const n = Number(String(request.body.integration_id).slice(-2));
      return n % 2 ? { status: 500, body: { error: `still broken ${n}` }, hold: true } : { status: 200, body: { status: "success" }, hold: true };
    };
    const started = await send(buttonClickForm(button!.value, O.runner.slack, t.slack.responseUrl("c2")), "c2");
    expect(started.body.replace_original).toBe(true);

    // Four requests go out; no fifth while they are unanswered; answering them lets the next four go.
    for (const expected of [4, 8, 11]) {
      await eventually(() => (engine.requests.length === expected ? true : undefined), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(engine.requests.length).toBe(expected);
      expect(engine.pending).toBeLessThanOrEqual(4);
      engine.release();
    }

    const final = await eventually(() => t.slack.callsTo("chat.update").find((call) => String(call.body.text).includes("finished")), 10_000);
    expect(String(final.body.text)).toBe("Bulk run of 11 integrations finished: 11 of 11 done. 5 succeeded, 6 failed, 0 running, 0 skipped");
    expect(blocksOf(final)).toContain("still broken 1");

    expect(engine.requests.map((r) => r.body.integration_id).sort()).toEqual(FAILING_G1);
    expect(engine.maxInFlight).toBe(4);
    // One summary message, posted once and updated in place.
    const summaries = t.slack.callsTo("chat.postMessage").filter((call) => String(call.body.text).startsWith("Running 11"));
    expect(summaries).toHaveLength(1);
    expect(new Set(t.slack.callsTo("chat.update").map((call) => call.body.ts))).toEqual(new Set([final.body.ts]));

    const db = t.bot.runtime.db;
    expect(await db.models.FlowRun.count({ where: { trigger: "manual", requestedBy: O.runner.email } })).toBe(11);
    const audit = await db.models.AuditEvent.findOne({ where: { action: "bulk-run", actor: O.runner.email } });
    expect(audit!.detail).toContain("11 integrations (failing)");
  });

  it("sends nothing more for the same confirmation delivered twice", async () => {
    engine.reset();
    engine.answer = () => ({ status: 500, body: { error: "still broken" } });
    const preview = await send(slashCommandForm("rerun failing", O.runner.slack, t.slack.responseUrl("d0")), "d0");
    const form = buttonClickForm(buttons(preview)[0]!.value, O.runner.slack, t.slack.responseUrl("d1"));
    await send(form, "d1");
    await eventually(() => (engine.requests.length >= 6 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sent = engine.requests.length;
    const again = await send({ payload: form.payload!.replace(t.slack.responseUrl("d1"), t.slack.responseUrl("d2")) }, "d2");
    expect(blocksOf(again)).toContain("already confirmed");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(engine.requests.length).toBe(sent);
  });

  it("keeps to the caller's scope and the filters, and says when there is nothing to re-run", async () => {
    const admin = await send(slashCommandForm("rerun failing config:cfg_2", O.admin.slack, t.slack.responseUrl("s1")), "s1");
    expect(String(admin.body.text)).toBe("Run 1 integration in 1 group? (config:cfg_2 failing)");
    const none = await send(slashCommandForm("rerun failing config:cfg_2", O.runner.slack, t.slack.responseUrl("s2")), "s2");
    expect(blocksOf(none)).toContain("Nothing to run");
    const viewer = await send(slashCommandForm("rerun failing", O.viewer.slack, t.slack.responseUrl("s3")), "s3");
    expect(blocksOf(viewer)).toContain("Can run");
    const bad = await send(slashCommandForm("rerun everything", O.runner.slack, t.slack.responseUrl("s4")), "s4");
    expect(blocksOf(bad)).toContain("rerun failing");
  });

  it("is the same as run failing", async () => {
    const run = await send(slashCommandForm("run failing config:cfg_2", O.admin.slack, t.slack.responseUrl("r1")), "r1");
    expect(String(run.body.text)).toBe("Run 1 integration in 1 group? (config:cfg_2 failing)");
  });
});
