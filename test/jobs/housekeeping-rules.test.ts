import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { scanHousekeeping } from "../../src/data/health.ts";
import { findingKind, findingReason, housekeepingRules } from "../../src/domain/housekeeping.ts";
import type { Runtime } from "../../src/runtime.ts";
import { toText } from "../../src/slack/text-renderer.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { actorFor, daysAgo, idsIn, NOW, runSeries, testConfig, testRuntime } from "./support.ts";

let testDb: TestDatabase;
let db: Database;
let runtime: Runtime;

const E = "error" as const;
const S = "success" as const;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
  const old = daysAgo(90);
  await addIntegrations(db, [
    // Stale: no run for exactly 30 days, and one day less.
    { id: "hk_stale_30", createdAt: old },
    { id: "hk_stale_29", createdAt: old },
    // Never ran: activated exactly 30 days ago, and one day less.
    { id: "hk_never_30", createdAt: daysAgo(30) },
    { id: "hk_never_29", createdAt: daysAgo(29) },
    // Failing by the streak: 3 errors in a row, and 2.
    { id: "hk_streak_3", createdAt: old },
    { id: "hk_streak_2", createdAt: old },
    // The error-rate rule: 20 runs in 7 days with 19, 18 or 17 errors; 19 runs with 18 errors.
    { id: "hk_rate_20_19", createdAt: old },
    { id: "hk_rate_20_18", createdAt: old },
    { id: "hk_rate_20_17", createdAt: old },
    { id: "hk_rate_19_18", createdAt: old },
    // 19 of 20 failed, but one of the 20 is older than 7 days.
    { id: "hk_rate_window", createdAt: old },
    // Disabled integrations are never named.
    { id: "hk_disabled", createdAt: old, status: "disabled" },
    { id: "hk_other_group", configurationId: "cfg_2", createdAt: old },
  ]);
  const errorsThenSuccess = (errors: number, total: number) => [...Array<typeof E>(errors).fill(E), ...Array<typeof S>(total - errors - 1).fill(S), S];
  await addRuns(db, [
    ...runSeries("hk_stale_30", [S], daysAgo(30)),
    ...runSeries("hk_stale_29", [S], daysAgo(29)),
    ...runSeries("hk_streak_3", [S, E, E, E], daysAgo(1)),
    ...runSeries("hk_streak_2", [S, E, E], daysAgo(1)),
    ...runSeries("hk_rate_20_19", errorsThenSuccess(19, 20), daysAgo(1)),
    ...runSeries("hk_rate_20_18", errorsThenSuccess(18, 20), daysAgo(1)),
    ...runSeries("hk_rate_20_17", errorsThenSuccess(17, 20), daysAgo(1)),
    ...runSeries("hk_rate_19_18", errorsThenSuccess(18, 19), daysAgo(1)),
    // The first of these 20 starts an hour before the window opens.
    ...runSeries("hk_rate_window", errorsThenSuccess(19, 20), daysAgo(6, 6 * 3_600_000)),
    ...runSeries("hk_disabled", [E, E, E], daysAgo(1)),
    ...runSeries("hk_other_group", [E, E, E], daysAgo(1)),
  ], NOW);
  ({ runtime } = await testRuntime(db, testDb.url));
});

afterAll(async () => {
  await runtime?.close();
  await db?.close();
  await testDb?.drop();
});

async function scan(env: Record<string, string> = {}) {
  const rules = housekeepingRules(testConfig(testDb.url, env));
  const healths = await scanHousekeeping(db, { scope: { all: true }, now: NOW, rules });
  return new Map(healths.map((h) => [h.integrationId, h]));
}

describe("the housekeeping rules, in SQL", () => {
  it("names an integration stale after exactly STALE_AFTER_DAYS without a run, not one day earlier", async () => {
    const found = await scan();
    expect(found.get("hk_stale_30")?.stale).toBe(true);
    expect(findingKind(found.get("hk_stale_30")!)).toBe("stale");
    expect(findingReason(found.get("hk_stale_30")!, NOW)).toBe("no run for 30 days");
    expect(found.has("hk_stale_29")).toBe(false);
  });

  it("names a never-run integration stale when activated exactly STALE_AFTER_DAYS ago, not one day later", async () => {
    const found = await scan();
    expect(findingReason(found.get("hk_never_30")!, NOW)).toBe("never ran; activated 30 days ago");
    expect(found.has("hk_never_29")).toBe(false);
  });

  it("follows STALE_AFTER_DAYS", async () => {
    const found = await scan({ STALE_AFTER_DAYS: "29" });
    expect(found.has("hk_stale_29")).toBe(true);
    expect(found.has("hk_never_29")).toBe(true);
  });

  it("names an integration failing when its last FAILING_AFTER_ERRORS runs failed, and says why", async () => {
    const found = await scan();
    const streak = found.get("hk_streak_3")!;
    expect(findingKind(streak)).toBe("failing");
    expect(findingReason(streak, NOW)).toBe("last 3 runs failed; last success 1 day ago: 401 from HubSpot");
    expect(found.has("hk_streak_2")).toBe(false);
    expect((await scan({ FAILING_AFTER_ERRORS: "2" })).has("hk_streak_2")).toBe(true);
  });

  it("applies the error-rate rule: at least 20 runs in 7 days, of which FAILING_ERROR_RATE failed", async () => {
    const found = await scan();
    const rate = found.get("hk_rate_20_19")!;
    expect(rate.failuresInRow).toBe(0);
    expect(findingKind(rate)).toBe("failing");
    expect(rate.failingRate).toEqual({ runs: 20, errors: 19 });
    expect(findingReason(rate, NOW)).toBe("19 of 20 runs in the last 7 days failed (95%)");
    expect(found.has("hk_rate_20_18")).toBe(false);
    expect(found.has("hk_rate_window")).toBe(false);

    const looser = await scan({ FAILING_ERROR_RATE: "0.9" });
    expect(looser.has("hk_rate_20_18")).toBe(true);
    expect(looser.has("hk_rate_20_17")).toBe(false);
    // 18 of 19 is above 0.9, but 19 runs are too few.
    expect(looser.has("hk_rate_19_18")).toBe(false);
  });

  it("never names a disabled integration, and counts runs of the last 30 days", async () => {
    const found = await scan();
    expect(found.has("hk_disabled")).toBe(false);
    expect(found.get("hk_streak_3")?.runs30d).toBe(4);
    expect(found.get("hk_stale_30")?.runs30d).toBe(1);
  });

  it("confines the scan to a scope", async () => {
    const rules = housekeepingRules(testConfig(testDb.url));
    const g2 = await scanHousekeeping(db, { scope: { all: false, groupIds: ["g2"] }, now: NOW, rules });
    expect(g2.map((h) => h.integrationId)).toEqual(["hk_other_group"]);
    expect(await scanHousekeeping(db, { scope: { all: false, groupIds: [] }, now: NOW, rules })).toEqual([]);
  });

  it("gives `list failing` and `list stale` the same sets as the report", async () => {
    const found = await scan();
    const admin = await actorFor(db, WORLD.operators.admin.email);
    const listed = async (text: string) => {
      const reply = await runtime.dispatcher.handle(text, admin, { transport: "console" });
      return idsIn(toText(reply.doc), "hk_");
    };
    const failing = [...found.values()].filter((h) => findingKind(h) === "failing").map((h) => h.integrationId).sort();
    const stale = [...found.values()].filter((h) => h.stale).map((h) => h.integrationId).sort();
    expect(await listed("list failing")).toEqual(failing);
    expect(await listed("list stale")).toEqual(stale);
    expect(failing).toContain("hk_rate_20_19");
  });
});

describe("one meaning of failing and overdue everywhere", () => {
  it("names the same integrations in `list failing`, the `run failing` preview and the report; `list overdue` and the report's overdue ones too", async () => {
    const admin = await actorFor(db, WORLD.operators.admin.email);
    // A bot that may send run requests, so `run failing` previews rather than refuses.
    const { runtime: runner } = await testRuntime(db, testDb.url, { RUNNER_SIGNING_SECRET: "a-runner-signing-secret-of-32-chars!" });
    onTestFinished(() => runner.close());
    const answer = async (text: string) => toText((await runner.dispatcher.handle(text, admin, { transport: "console" })).doc);
    const found = await scanHousekeeping(db, { scope: { all: true }, now: NOW, rules: housekeepingRules(testConfig(testDb.url)), overdue: true });
    const reportFailing = found.filter((h) => findingKind(h) === "failing").map((h) => h.integrationId).sort();
    const reportOverdue = found.filter((h) => findingKind(h) === "overdue").map((h) => h.integrationId).sort();
    expect(reportFailing).toEqual(["hk_other_group", "hk_rate_20_19", "hk_streak_3"]);
    expect(idsIn(await answer("list failing"), "hk_")).toEqual(reportFailing);
    const preview = await answer("run failing");
    expect(idsIn(preview, "hk_"), preview).toEqual(reportFailing);
    // The hourly series that stopped a day ago are overdue (3 × 1 h); never the failing or disabled ones.
    expect(reportOverdue.length).toBeGreaterThan(0);
    expect(reportOverdue).not.toContain("hk_disabled");
    expect(idsIn(await answer("list overdue"), "hk_")).toEqual(reportOverdue);
    // `show` says the same verdict, and why.
    expect(await answer("show hk_streak_3")).toMatch(/^Health: +failing: last 3 runs failed/m);
    expect(await answer("show hk_rate_20_19")).toMatch(/^Health: +failing: 95 % of 20 runs in 7 days failed/m);
    expect(await answer(`show ${reportOverdue[0]}`)).toMatch(/^Health: +overdue: /m);
    expect(await answer("show hk_disabled")).not.toMatch(/^Health:/m);
  });
});
