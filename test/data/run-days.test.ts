import { QueryTypes } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { recordRunBatch, type RunInput } from "../../src/data/flow-runs.ts";
import { scanHousekeeping } from "../../src/data/health.ts";
import { importData } from "../../src/data/import.ts";
import { healthRules } from "../../src/data/integrations.ts";
import type { RunStatus } from "../../src/data/models/index.ts";
import { fillRunDays } from "../../src/data/run-days.ts";
import { purgeRunBatch } from "../../src/data/run-retention.ts";
import { testConfig } from "../jobs/support.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";
import { prng } from "../support/random.ts";
import { groupedRuns, rolledUp } from "../support/run-checks.ts";
import { addIntegrations, addRuns, loadWorld } from "../support/fixtures.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
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

type Row = Record<string, unknown>;

describe("the per-day roll-up of runs", () => {
  it("equals a GROUP BY over the stored runs after random histories: status updates, duplicates, out of order, across midnight, retention, import", async () => {
    const ids = ["rd_a", "rd_b", "rd_c"];
    await addIntegrations(db, ids.map((id) => ({ id, createdAt: START })));
    const random = prng(20261203);
    const sent: RunInput[] = [];
    let now = new Date(START.getTime() + 23 * HOUR);
    let serial = 0;
    const seen = { updates: 0, purged: 0, imported: 0, emptiedDays: 0 };
    const steps = TEST_DIALECT === "postgres" ? 150 : 250;
    const newRun = (integrationId: string, startedAt: Date): RunInput => {
      const status = random.pick<RunStatus>(["success", "error", "error", "running"]);
      return { id: `rd${serial++}`, integrationId, status, trigger: "scheduler", startedAt, finishedAt: status === "running" ? null : startedAt, error: status === "error" ? "timeout" : null };
    };
    for (let step = 0; step < steps; step += 1) {
      const id = random.pick(ids);
      const action = random.int(0, 9);
      let batch: RunInput[] = [];
      if (action <= 2) {
        // A few runs around now, minutes to hours apart: some fall on the day before midnight, some after.
        for (let i = random.int(1, 6); i > 0; i -= 1) batch.push(newRun(id, new Date(now.getTime() - random.int(0, 5 * 60) * MINUTE)));
      } else if (action === 3) {
        // A run that started days ago, reported only now.
        batch.push(newRun(id, new Date(now.getTime() - random.int(1, 20 * 24) * HOUR)));
      } else if ((action === 4 || action === 5) && sent.length) {
        // Runs reported again with another outcome: running → error, error → success, a stale running.
        for (let i = random.int(1, 3); i > 0; i -= 1) {
          const earlier = random.pick(sent);
          const status = random.pick<RunStatus>(["success", "error", "running"]);
          batch.push({ ...earlier, status, finishedAt: status === "running" ? null : new Date(now.getTime() + i), error: status === "error" ? "late error" : null });
        }
        seen.updates += 1;
      } else if (action === 6 && sent.length) {
        // The same events again, some twice in one batch.
        batch = [...sent.slice(-random.int(1, 4)), ...sent.slice(-random.int(1, 2))];
      } else if (action === 7) {
        // Retention: runs older than some days go (never an integration's latest), a few at a time.
        const before = (await db.sequelize.query<Row>("SELECT COUNT(*) AS n FROM run_days", { type: QueryTypes.SELECT }))[0]!;
        const purged = await purgeRunBatch(db, new Date(now.getTime() - random.int(0, 10) * DAY), random.int(1, 8));
        seen.purged += purged;
        const after = (await db.sequelize.query<Row>("SELECT COUNT(*) AS n FROM run_days", { type: QueryTypes.SELECT }))[0]!;
        if (Number(after.n) < Number(before.n)) seen.emptiedDays += 1;
      } else if (action === 8) {
        // An import of runs: new ones and ones already stored.
        const runs = [newRun(id, new Date(now.getTime() - random.int(0, 48) * HOUR)), ...(sent.length ? [random.pick(sent)] : [])].map((run) => ({
          id: run.id,
          integration_id: run.integrationId,
          status: run.status,
          started_at: run.startedAt.toISOString(),
          finished_at: run.finishedAt ? run.finishedAt.toISOString() : null,
          error: run.error ?? null,
        }));
        await importData(db, { runs }, { now, timeZone: "UTC" });
        sent.push(...runs.map((run) => ({ id: run.id, integrationId: run.integration_id, status: run.status as RunStatus, trigger: "scheduler" as const, startedAt: new Date(run.started_at), finishedAt: run.finished_at ? new Date(run.finished_at) : null, error: run.error })));
        seen.imported += 1;
      }
      if (batch.length) {
        // In order or shuffled, one batch or split in two.
        if (random.next() < 0.4) batch.reverse();
        const cut = random.int(0, batch.length);
        for (const part of [batch.slice(0, cut), batch.slice(cut)]) if (part.length) await recordRunBatch(db, part, now);
        sent.push(...batch);
      }
      expect({ step, days: await rolledUp(db, ids) }).toEqual({ step, days: await groupedRuns(db, ids) });
      now = new Date(now.getTime() + random.int(1, 8 * 60) * MINUTE);
    }
    // The sequence did reach every kind of change.
    expect(seen.updates).toBeGreaterThan(10);
    expect(seen.purged).toBeGreaterThan(5);
    expect(seen.emptiedDays).toBeGreaterThan(0);
    expect(seen.imported).toBeGreaterThan(5);
    const kept = await rolledUp(db, ids);
    expect(kept.length).toBeGreaterThan(10);
    // The migration's set-based fill, from the same runs, gives the same rows.
    await db.sequelize.query("DELETE FROM run_days WHERE integration_id IN (:ids)", { replacements: { ids } });
    await fillRunDays(db);
    expect(await rolledUp(db, ids)).toEqual(kept);
  }, 120_000);

  it("gives the housekeeping scan the exact runs of 30 and 7 days, whatever the hour of the boundary day", async () => {
    const id = "rd_scan";
    await addIntegrations(db, [{ id, createdAt: new Date("2026-09-01T00:00:00Z") }]);
    // A run every 3 hours and 7 minutes for 40 days, all but every thirtieth failed: failing by the error rate.
    const end = new Date("2026-11-10T00:00:00Z");
    const runs: RunInput[] = [];
    for (let at = end.getTime() - 40 * DAY, n = 0; at <= end.getTime(); at += 3 * HOUR + 7 * MINUTE, n += 1) {
      const status: RunStatus = n % 30 === 0 ? "success" : "error";
      runs.push({ id: `rds${n}`, integrationId: id, status, trigger: "scheduler", startedAt: new Date(at), finishedAt: new Date(at), error: status === "error" ? "503" : null });
    }
    await addRuns(db, runs, end);
    const rules = healthRules(testConfig(testDb.url), end);
    const since = (now: Date, days: number) => runs.filter((run) => run.startedAt.getTime() >= now.getTime() - days * DAY);
    // The scan at several instants: the windows' boundaries fall before, on and after runs, at midnight and late in the day.
    for (const offset of [0, 1, 37 * MINUTE, 3 * HOUR + 7 * MINUTE, 11 * HOUR, 23 * HOUR + 59 * MINUTE]) {
      const now = new Date(end.getTime() + offset);
      const [found] = await scanHousekeeping(db, { scope: { all: true }, now, rules, integrationIds: [id] });
      expect(found?.integrationId).toBe(id);
      expect({ offset, runs30d: found!.runs30d }).toEqual({ offset, runs30d: since(now, 30).length });
      const week = since(now, 7);
      expect({ offset, rate: found!.failingRate }).toEqual({ offset, rate: { runs: week.length, errors: week.filter((run) => run.status === "error").length } });
    }
  });
});
