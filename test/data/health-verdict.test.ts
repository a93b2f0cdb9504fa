import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { recordRunBatch, type RunInput } from "../../src/data/flow-runs.ts";
import { refreshDueHealth } from "../../src/data/health.ts";
import { healthRules, listIntegrations } from "../../src/data/integrations.ts";
import type { RunStatus } from "../../src/data/models/index.ts";
import { testConfig } from "../jobs/support.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { prng } from "../support/random.ts";
import { expectedVerdict, keptVerdict } from "../support/run-checks.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = new Date("2026-10-01T00:00:00Z");

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db, START);
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe("the kept health verdict", () => {
  it("equals the domain rule over the stored runs after every run sequence: streaks, the rate rule at 19/20/21 runs, recovery, updates, duplicates, out of order, clock jumps", async () => {
    const rules = healthRules(testConfig(testDb.url), START);
    const ids = ["hv_a", "hv_b", "hv_c", "hv_web"];
    await addIntegrations(db, ids.map((id) => ({ id, createdAt: START, flowId: id === "hv_web" ? "flow_2" : "flow_1" })));
    const random = prng(20261201);
    const sent: RunInput[] = [];
    let now = new Date(START.getTime() + HOUR);
    let serial = 0;
    const steps = TEST_DIALECT === "postgres" ? 120 : 200;
    let failingSeen = 0;
    let rateOnlySeen = 0;
    let overdueSeen = 0;
    for (let step = 0; step < steps; step += 1) {
      const id = random.pick(ids);
      const action = random.int(0, 9);
      let batch: RunInput[] = [];
      if (action <= 1) {
        // A burst of 19 to 21 runs, mostly failed, a few minutes to hours apart: the rate rule's boundary.
        // The successes come last, so the streak is broken and only the rate rule can say failing.
        const count = random.int(19, 21);
        const gap = random.int(5, 300) * 60_000;
        const successes = random.int(0, 2);
        for (let i = count - 1; i >= 0; i -= 1) {
          const status: RunStatus = i < successes ? "success" : "error";
          batch.push({ id: `r${serial++}`, integrationId: id, status, trigger: "scheduler", startedAt: new Date(now.getTime() - i * gap), finishedAt: new Date(now.getTime() - i * gap + 1000), error: status === "error" ? "503" : null });
        }
      } else if (action <= 4) {
        const status = random.pick<RunStatus>(["success", "error", "error", "running"]);
        batch.push({ id: `r${serial++}`, integrationId: id, status, trigger: "scheduler", startedAt: now, finishedAt: status === "running" ? null : now, error: status === "error" ? "timeout" : null });
      } else if (action === 5 && sent.length) {
        // A run reported running, then finished (or a stale report of it).
        const earlier = random.pick(sent);
        const status = random.pick<RunStatus>(["success", "error", "running"]);
        batch.push({ ...earlier, status, finishedAt: status === "running" ? null : now, error: status === "error" ? "late error" : null });
      } else if (action === 6 && sent.length) {
        // The same events again.
        batch = sent.slice(-random.int(1, 5));
      } else if (action === 7) {
        // A run that started days ago, reported only now.
        const startedAt = new Date(now.getTime() - random.int(1, 10 * 24) * HOUR);
        const status = random.pick<RunStatus>(["success", "error"]);
        batch.push({ id: `r${serial++}`, integrationId: id, status, trigger: "scheduler", startedAt, finishedAt: startedAt, error: status === "error" ? "old" : null });
      }
      if (batch.length) {
        // In order or shuffled, one batch or split in two.
        if (random.next() < 0.3) batch.reverse();
        const cut = random.int(0, batch.length);
        for (const part of [batch.slice(0, cut), batch.slice(cut)]) if (part.length) await recordRunBatch(db, part, now);
        sent.push(...batch);
      }
      // The clock moves on: a little, a lot, or exactly to a kept due time (and a millisecond before it).
      const move = random.int(0, 5);
      if (move === 0) {
        const dues = (await Promise.all(ids.map((id) => keptVerdict(db, id)))).map((k) => k.dueAt).filter((due): due is Date => due !== null && due.getTime() > now.getTime());
        if (dues.length) now = new Date(random.pick(dues).getTime() - (random.next() < 0.5 ? 1 : 0));
      } else if (move === 1) now = new Date(now.getTime() + random.int(1, 40) * DAY);
      else now = new Date(now.getTime() + random.int(1, 6 * 60) * 60_000);
      rules.now = now;
      // The sweep (or a reader) recomputes what is due; then every kept verdict is what the rule says of the runs.
      await refreshDueHealth(db, rules, now);
      for (const integrationId of ids) {
        const expected = await expectedVerdict(db, integrationId, now, rules);
        const actual = await keptVerdict(db, integrationId);
        // A failing reason is exact; the others say how long without a run as of when they were computed.
        const reason = expected.verdict === "failing" ? expected.reason : actual.reason;
        expect({ step, integrationId, health: actual.health, reason: actual.reason }).toEqual({ step, integrationId, health: expected.verdict, reason });
        if (expected.verdict === "failing") failingSeen += 1;
        if (expected.verdict === "failing" && expected.reason?.includes("%")) rateOnlySeen += 1;
        if (expected.verdict === "overdue") overdueSeen += 1;
      }
    }
    // The sequence did reach both verdicts that time and runs decide.
    expect(failingSeen).toBeGreaterThan(10);
    expect(rateOnlySeen).toBeGreaterThan(3);
    expect(overdueSeen).toBeGreaterThan(0);
    // Some hundreds of recorded batches and sweeps: seconds alone, more on a busy machine.
  }, 120_000);

  it("lists overdue integrations at their boundary: 5 runs, more than factor × median gap and more than an hour; stale wins", async () => {
    const base = new Date("2026-11-01T00:00:00Z");
    const series = (id: string, count: number, gap: number, flowId = "flow_1") => ({
      id,
      flowId,
      runs: Array.from({ length: count }, (_, i): RunInput => ({ id: `${id}_${i}`, integrationId: id, status: "success", trigger: "scheduler", startedAt: new Date(base.getTime() + i * gap) })),
    });
    const cases = [series("od_five", 5, 2 * HOUR), series("od_four", 4, 2 * HOUR), series("od_fast", 6, 5 * 60_000), series("od_webhook", 6, 2 * HOUR, "flow_2")];
    await addIntegrations(db, cases.map((c) => ({ id: c.id, createdAt: base, flowId: c.flowId })));
    for (const c of cases) await recordRunBatch(db, c.runs, base);
    const latest = (id: string) => cases.find((c) => c.id === id)!.runs.at(-1)!.startedAt.getTime();
    const overdueAt = async (at: number) => {
      const rules = healthRules(testConfig(testDb.url), new Date(at));
      const page = await listIntegrations(db, { all: true }, { overdue: true, words: ["od_"] }, rules, { limit: 50 });
      return page.rows.map((row) => row.id).sort();
    };
    // od_five: 3 × 2 h = 6 h after its latest run, not yet; a millisecond later, overdue.
    expect(await overdueAt(latest("od_five") + 6 * HOUR)).toEqual(["od_fast"]);
    expect(await overdueAt(latest("od_five") + 6 * HOUR + 1)).toEqual(["od_fast", "od_five"]);
    // od_fast runs every 5 minutes: 3 × 5 min is less than an hour, so only after more than an hour.
    expect((await overdueAt(latest("od_fast") + HOUR)).includes("od_fast")).toBe(false);
    expect((await overdueAt(latest("od_fast") + HOUR + 1)).includes("od_fast")).toBe(true);
    // Four runs are too few; a webhook flow is never overdue. After 30 days without a run, stale, not overdue.
    expect(await overdueAt(latest("od_fast") + 30 * DAY - 1)).toEqual(["od_fast", "od_five"]);
    const stale = latest("od_five") + 30 * DAY;
    expect(await overdueAt(stale - 1)).toEqual(["od_five"]);
    expect(await overdueAt(stale)).toEqual([]);
    const rules = healthRules(testConfig(testDb.url), new Date(stale));
    const stalePage = await listIntegrations(db, { all: true }, { stale: true, words: ["od_"] }, rules, { limit: 50 });
    // The webhook copy ran two hours later than od_five: not stale yet.
    expect(stalePage.rows.map((row) => row.id).sort()).toEqual(["od_fast", "od_five", "od_four"]);
  });

  it("recomputes every verdict when the thresholds change between starts", async () => {
    const at = new Date("2026-11-01T00:00:00Z").getTime() + 4 * 2 * HOUR + 4 * HOUR;
    const list = async (env: Record<string, string>) =>
      (await listIntegrations(db, { all: true }, { overdue: true, words: ["od_five"] }, healthRules(testConfig(testDb.url, env), new Date(at)), { limit: 5 })).rows.map((row) => row.id);
    // 4 h after the latest run: overdue with OVERDUE_FACTOR 1.5 (3 h), not with 3 (6 h), and back.
    expect(await list({})).toEqual([]);
    expect(await list({ OVERDUE_FACTOR: "1.5" })).toEqual(["od_five"]);
    expect(await list({})).toEqual([]);
  });
});
