import { describe, expect, it } from "vitest";
import { rateBasisPoints } from "../../src/domain/health.ts";
import { autoDisableDue, findingState, reportTotals, type StoredFinding } from "../../src/domain/housekeeping.ts";
import { toBlockKit } from "../../src/slack/block-kit.ts";
import { presentHousekeepingAnswer, presentHousekeepingReport, type HousekeepingReportView, type ReportFinding } from "../../src/slack/presenters/housekeeping-report.ts";
import { DAY, NOW } from "./support.ts";

function stored(firstDaysAgo: number, snoozedUntil: Date | null = null): StoredFinding {
  const first = new Date(NOW.getTime() - firstDaysAgo * DAY);
  return { kind: "failing", firstReportedAt: first, lastReportedAt: first, snoozedUntil, snoozedBy: snoozedUntil ? "ops@example.com" : null, resolvedAt: null };
}

describe("the housekeeping rules, pure", () => {
  it("ends a snooze exactly when it says", () => {
    expect(findingState(stored(3, new Date(NOW.getTime() + 1)), NOW)).toBe("snoozed");
    expect(findingState(stored(3, NOW), NOW)).toBe("reported");
    expect(findingState(null, NOW)).toBe("new");
    expect(findingState({ ...stored(3), resolvedAt: NOW }, NOW)).toBe("new");
  });

  it("auto-disables after exactly the grace, never when off, and counts the grace again from a snooze's end", () => {
    expect(autoDisableDue(stored(7), NOW, 7)).toBe(true);
    expect(autoDisableDue(stored(6), NOW, 7)).toBe(false);
    expect(autoDisableDue(stored(30), NOW, undefined)).toBe(false);
    // Snoozed still: never.
    expect(autoDisableDue(stored(30, new Date(NOW.getTime() + DAY)), NOW, 7)).toBe(false);
    // The snooze ended 6 days ago: shown again for 6 days, not yet disabled; at 7 days it is.
    expect(autoDisableDue(stored(30, new Date(NOW.getTime() - 6 * DAY)), NOW, 7)).toBe(false);
    expect(autoDisableDue(stored(30, new Date(NOW.getTime() - 7 * DAY)), NOW, 7)).toBe(true);
  });

  it("compares rates in whole basis points and prices runs to the cent", () => {
    expect(rateBasisPoints(0.95)).toBe(9500);
    expect(rateBasisPoints(0.333)).toBe(3330);
    const totals = reportTotals([{ kind: "failing", runs30d: 3, isNew: true }, { kind: "stale", runs30d: 0, isNew: false }], 0.002);
    expect(totals).toEqual({ failing: 1, stale: 1, overdue: 0, newFindings: 1, runs30d: 3, cost: 0.01 });
  });
});

function finding(i: number): ReportFinding {
  return {
    integrationId: `int_${String(i).padStart(4, "0")}`, name: `Sync ${i}`, flowName: "Flow", flowUrl: null,
    groupId: `g${i % 3}`, groupName: `Group ${i % 3}`, groupKind: "group", configurationId: "cfg_1", configurationName: "HubSpot sync",
    accountId: `acc_${i}`, userId: `u_${i}`, kind: i % 2 ? "failing" : "stale", reason: "last 3 runs failed; never succeeded: 401 from HubSpot",
    runs30d: 10, cost: 0.1, isNew: false, showButtons: true,
  };
}

function view(count: number, omitted = 0): HousekeepingReportView {
  const findings = Array.from({ length: count }, (_, i) => finding(i));
  return {
    findings,
    groups: [0, 1, 2].map((g) => ({ groupId: `g${g}`, groupName: `Group ${g}`, groupKind: "group", failing: 1, stale: 1, overdue: 0, runs30d: 20, cost: 0.2 })),
    totals: reportTotals([...findings, ...Array.from({ length: omitted }, (_, i) => finding(count + i))], 0.01),
    omitted, currency: "EUR", priced: true, snoozed: 0,
  };
}

describe("the housekeeping report within Slack's limits", () => {
  it("posts a short report as one message", () => {
    const messages = presentHousekeepingReport(view(5));
    expect(messages.thread).toEqual([]);
    expect(toBlockKit(messages.summary).blocks.length).toBeLessThanOrEqual(50);
  });

  it("splits a long one into a summary and thread messages of at most 50 blocks, each finding once", () => {
    const messages = presentHousekeepingReport(view(200));
    const all = [messages.summary, ...messages.thread];
    for (const doc of all) expect(toBlockKit(doc).blocks.length).toBeLessThanOrEqual(50);
    const text = JSON.stringify(messages.thread.map((doc) => toBlockKit(doc).blocks));
    for (let i = 0; i < 200; i++) expect(text.split(`\`int_${String(i).padStart(4, "0")}\``).length - 1).toBe(1);
  });

  it("says how many findings a capped report and the `stale` answer leave out", () => {
    expect(JSON.stringify(presentHousekeepingReport(view(10, 990)).summary)).toContain("990 more findings not detailed here");
    const answer = presentHousekeepingAnswer(view(100, 900));
    expect(toBlockKit(answer).blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(answer)).toMatch(/… and 9\d\d more findings/);
  });
});
