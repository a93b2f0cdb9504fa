import { describe, expect, it } from "vitest";
import { approvalProblem, countPerGroup, groupsOutside, needsApproval, needsTypedConfirmation, runCost, splitCandidates, typedCountProblem, undoAction } from "../../src/domain/bulk.ts";
import type { Actor } from "../../src/domain/permissions.ts";

const operator = (email: string): Actor => ({ kind: "operator", operatorId: 1, email, name: null, role: "member", grants: [] });

describe("bulk rules", () => {
  it("splits a result into members, those not permitted and those already so", () => {
    const candidates = [
      { id: "a", groupId: "g1", status: "enabled" as const },
      { id: "b", groupId: "g2", status: "enabled" as const },
      { id: "c", groupId: "g1", status: "disabled" as const },
    ];
    const run = splitCandidates("run", candidates, { all: false, groupIds: ["g1"] });
    expect(run.members.map((m) => m.id)).toEqual(["a"]);
    expect([run.notPermitted, run.notApplicable]).toEqual([1, 1]);
    const enable = splitCandidates("enable", candidates, { all: true });
    expect(enable.members.map((m) => m.id)).toEqual(["c"]);
    expect(countPerGroup([{ groupId: "g2" }, { groupId: "g1" }, { groupId: "g2" }])).toEqual([{ groupId: "g2", count: 2 }, { groupId: "g1", count: 1 }]);
    expect(runCost(12, 0.5)).toBe(6);
    expect(runCost(3, 0.001)).toBe(0);
  });

  it("asks for the typed count above 20 and accepts only the exact count", () => {
    expect(needsTypedConfirmation(20)).toBe(false);
    expect(needsTypedConfirmation(21)).toBe(true);
    expect(typedCountProblem(412, "412")).toBeNull();
    expect(typedCountProblem(412, " 412 ")).toBeNull();
    expect(typedCountProblem(1412, "1,412")).toBeNull();
    expect(typedCountProblem(412, "411")).toContain("not the count");
    expect(typedCountProblem(412, "all")).toContain("not a number");
    expect(typedCountProblem(412, "")).toContain("Type the number");
    expect(typedCountProblem(412, "-412")).toContain("not a number");
  });

  it("needs approval only above APPROVAL_ABOVE, from a second operator with the permission everywhere, within the hour", () => {
    expect(needsApproval(100, undefined)).toBe(false);
    expect(needsApproval(10, 10)).toBe(false);
    expect(needsApproval(11, 10)).toBe(true);
    const now = new Date("2026-12-01T10:00:00Z");
    const base = { status: "awaiting_approval", requestedBy: "a@x", approverScope: { all: false as const, groupIds: ["g1", "g2"] }, memberGroups: ["g1", "g2"], expiresAt: new Date("2026-12-01T10:30:00Z"), now };
    expect(approvalProblem({ ...base, approver: operator("b@x") })).toBeNull();
    expect(approvalProblem({ ...base, approver: operator("a@x") })).toBe("requester");
    expect(approvalProblem({ ...base, approver: operator("b@x"), memberGroups: ["g1", "g3"] })).toBe("not_permitted");
    expect(approvalProblem({ ...base, approver: operator("b@x"), expiresAt: now })).toBe("expired");
    expect(approvalProblem({ ...base, approver: operator("b@x"), status: "running" })).toBe("not_waiting");
    expect(approvalProblem({ ...base, approver: { kind: "unmapped", slackUserId: "U1" } })).toBe("requester");
    expect(groupsOutside({ all: false, groupIds: ["g1"] }, ["g1", "g2"])).toEqual(["g2"]);
  });

  it("undoes a disable by enabling and an enable by disabling; runs are not undone", () => {
    expect(undoAction("disable")).toBe("enable");
    expect(undoAction("enable")).toBe("disable");
    expect(undoAction("run")).toBeNull();
  });
});

describe("bulk settings", () => {
  it("reads BULK_CONCURRENCY (default 4) and APPROVAL_ABOVE (off unless set), naming a bad value", async () => {
    const { loadConfig } = await import("../../src/config.ts");
    expect(loadConfig({}).bulkConcurrency).toBe(4);
    expect(loadConfig({}).approvalAbove).toBeUndefined();
    expect(loadConfig({ APPROVAL_ABOVE: "" }).approvalAbove).toBeUndefined();
    expect(loadConfig({ APPROVAL_ABOVE: "50", BULK_CONCURRENCY: "8" })).toMatchObject({ approvalAbove: 50, bulkConcurrency: 8 });
    expect(() => loadConfig({ BULK_CONCURRENCY: "0" })).toThrow(/BULK_CONCURRENCY/);
    expect(() => loadConfig({ APPROVAL_ABOVE: "many" })).toThrow(/APPROVAL_ABOVE/);
  });
});
