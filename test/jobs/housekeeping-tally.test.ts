import { QueryTypes } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { commitReport } from "../../src/data/findings.ts";
import { scanHousekeeping } from "../../src/data/health.ts";
import { housekeepingRules, reportTotals, type HousekeepingRules } from "../../src/domain/housekeeping.ts";
import type { GroupScope } from "../../src/domain/permissions.ts";
import { evaluateFindings, readReport } from "../../src/housekeeping/report.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD, type IntegrationSeed } from "../support/fixtures.ts";
import { prng } from "../support/random.ts";
import { DAY, daysAgo, NOW, runSeries, testConfig } from "./support.ts";

// The report counts and sums its findings in the database and reads whole rows only for the ones it details.
// These tests hold that against the findings read whole, one by one, over random fleets.

let testDb: TestDatabase;
let db: Database;
let rules: HousekeepingRules;
const random = prng(20261201);
const CONFIGS = ["cfg_1", "cfg_2", "cfg_3"] as const;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  rules = housekeepingRules(testConfig(testDb.url));
  const seeds: IntegrationSeed[] = [];
  const runs: Parameters<typeof addRuns>[1] = [];
  for (let n = 0; n < 150; n++) {
    const id = `tl_${String(n).padStart(3, "0")}`;
    seeds.push({ id, configurationId: random.pick(CONFIGS), createdAt: daysAgo(random.int(1, 120)), status: random.next() < 0.1 ? "disabled" : "enabled" });
    const shape = random.int(0, 5);
    // Failing streaks, failing rates, stale, overdue (hourly until hours ago), healthy, and runs on the
    // 30-day boundary day (the day the report counts exactly from the runs).
    if (shape === 0) runs.push(...runSeries(id, ["success", "error", "error", "error"], daysAgo(random.int(0, 3))));
    if (shape === 1) runs.push(...runSeries(id, [...Array<"error">(19).fill("error"), "success"], daysAgo(1)));
    if (shape === 2) runs.push(...runSeries(id, ["success", "success"], daysAgo(random.int(30, 40))));
    if (shape === 3) runs.push(...runSeries(id, Array<"success">(12).fill("success"), new Date(NOW.getTime() - random.int(4, 20) * 3_600_000)));
    if (shape === 4) runs.push(...runSeries(id, ["success", "error", "success"], daysAgo(0, random.int(1, 50) * 60_000)));
    if (shape === 5) runs.push(...runSeries(id, Array<"error">(random.int(1, 6)).fill("error"), new Date(NOW.getTime() - 30 * DAY + random.int(-3, 3) * 3_600_000)));
  }
  await addIntegrations(db, seeds);
  await addRuns(db, runs, NOW);
  // Remembered findings in every state: reported, snoozed (running and ended), resolved, and for healthy ones.
  const remembered = seeds.filter(() => random.next() < 0.6).map((seed) => {
    const state = random.int(0, 3);
    return {
      integrationId: seed.id,
      kind: "stale" as const,
      reason: "earlier",
      firstReportedAt: daysAgo(random.int(1, 20)),
      lastReportedAt: daysAgo(1),
      snoozedUntil: state === 1 ? new Date(NOW.getTime() + DAY) : state === 2 ? daysAgo(1) : null,
      snoozedBy: state === 1 || state === 2 ? "someone" : null,
      resolvedAt: state === 3 ? daysAgo(2) : null,
      resolution: state === 3 ? "recovered" : null,
    };
  });
  await db.models.HousekeepingFinding.bulkCreate(remembered);
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

/** What the report should say, from every finding read whole. */
async function expected(scope: GroupScope) {
  const all = evaluateFindings(await scanHousekeeping(db, { scope, now: NOW, rules, overdue: true }), NOW);
  const shown = all.filter((finding) => finding.state !== "snoozed");
  const groups = new Map<string, { failing: number; stale: number; overdue: number; runs30d: number }>();
  for (const finding of shown) {
    const group = groups.get(finding.health.groupId) ?? { failing: 0, stale: 0, overdue: 0, runs30d: 0 };
    group[finding.kind] += 1;
    group.runs30d += finding.health.runs30d;
    groups.set(finding.health.groupId, group);
  }
  const name = (id: string) => WORLD.groups.find((group) => group.id === id)?.name ?? id;
  const order = ["failing", "stale", "overdue"];
  const ordered = [...shown].sort(
    (a, b) =>
      name(a.health.groupId).localeCompare(name(b.health.groupId)) ||
      order.indexOf(a.kind) - order.indexOf(b.kind) ||
      (a.health.integrationId < b.health.integrationId ? -1 : 1),
  );
  return {
    all,
    totals: reportTotals(shown.map((f) => ({ kind: f.kind, runs30d: f.health.runs30d, isNew: f.state === "new" })), rules.pricePerRun),
    groups: Object.fromEntries(groups),
    snoozed: all.length - shown.length,
    order: ordered.map((finding) => finding.health.integrationId),
  };
}

describe("the housekeeping report's totals, summed in the database", () => {
  it("has some of every kind and state to count", async () => {
    const { all } = await expected({ all: true });
    const seen = new Set(all.map((finding) => `${finding.kind}/${finding.state}`));
    for (const kind of ["failing", "stale", "overdue"]) for (const state of ["new", "reported", "snoozed"]) expect(seen, `${kind}/${state}`).toContain(`${kind}/${state}`);
    expect(all.some((finding) => finding.health.runs30d > 0)).toBe(true);
  });

  const scopes: Array<[string, GroupScope]> = [["every group", { all: true }], ["one group", { all: false, groupIds: ["g2"] }]];
  for (const [label, scope] of scopes) {
    it(`equals the findings read whole: totals, group lines, snoozed and the detailed ones in order (${label})`, async () => {
      const want = await expected(scope);
      const view = await readReport(db, { scope, now: NOW, rules, timeZone: "UTC" }, { showButtons: () => true, detailLimit: 7 });
      expect(view.totals).toEqual(want.totals);
      expect(Object.fromEntries(view.groups.map((g) => [g.groupId, { failing: g.failing, stale: g.stale, overdue: g.overdue, runs30d: g.runs30d }]))).toEqual(want.groups);
      expect(view.snoozed).toBe(want.snoozed);
      expect(view.findings.map((finding) => finding.integrationId)).toEqual(want.order.slice(0, 7));
      expect(view.omitted).toBe(want.order.length - 7);
    });
  }

  it("leaves withheld findings (auto-disabled by the firing) out of totals, groups and details", async () => {
    const want = await expected({ all: true });
    const withheld = want.all.filter((finding) => finding.state === "reported").slice(0, 3);
    const view = await readReport(db, { scope: { all: true }, now: NOW, rules, timeZone: "UTC" }, { showButtons: () => true, withheld });
    const gone = new Set(withheld.map((finding) => finding.health.integrationId));
    expect(view.findings.map((finding) => finding.integrationId)).toEqual(want.order.filter((id) => !gone.has(id)));
    expect(view.totals.failing + view.totals.stale + view.totals.overdue).toBe(want.order.length - withheld.length);
    expect(view.totals.runs30d).toBe(want.totals.runs30d - withheld.reduce((sum, finding) => sum + finding.health.runs30d, 0));
  });

  it("remembers every finding from the kept verdicts: new ones afresh, reported ones seen, snoozed ones kept, gone ones resolved", async () => {
    const before = await expected({ all: true });
    const stateOf = new Map(before.all.map((finding) => [finding.health.integrationId, finding]));
    const later = new Date(NOW.getTime() + 60_000);
    const { resolved } = await commitReport(db, { autoDisable: [], actor: { kind: "system", name: "test" } as never, now: later, messages: () => [] });
    const rows = await db.sequelize.query<Record<string, unknown>>(
      "SELECT f.integration_id, f.kind, f.first_reported_at, f.last_reported_at, f.resolved_at, f.resolution, i.status FROM housekeeping_findings f JOIN integrations i ON i.id = f.integration_id",
      { type: QueryTypes.SELECT },
    );
    const time = (value: unknown) => (value === null ? null : new Date(value as string).getTime());
    let resolvedNow = 0;
    for (const row of rows) {
      const finding = stateOf.get(String(row.integration_id));
      if (!finding) {
        if (time(row.resolved_at) === later.getTime()) resolvedNow += 1;
        expect(row.resolved_at, String(row.integration_id)).not.toBeNull();
        continue;
      }
      expect(row.resolved_at).toBeNull();
      if (finding.state === "new") expect([time(row.first_reported_at), row.kind]).toEqual([later.getTime(), finding.kind]);
      if (finding.state === "reported") expect([time(row.last_reported_at), row.kind]).toEqual([later.getTime(), finding.kind]);
      if (finding.state === "snoozed") expect(time(row.last_reported_at)).not.toBe(later.getTime());
    }
    expect(resolved).toBe(resolvedNow);
    expect(resolved).toBeGreaterThan(0);
    expect(rows.filter((row) => stateOf.has(String(row.integration_id))).length).toBe(before.all.length);
  });
});
