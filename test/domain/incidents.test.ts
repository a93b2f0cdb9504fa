import { describe, expect, it } from "vitest";
import { largestCluster, planIncidents, type FailingMember } from "../../src/domain/incidents.ts";

const T = new Date("2026-11-20T10:00:00Z").getTime();
const at = (minutes: number) => new Date(T + minutes * 60_000);
const member = (id: string, minutes: number, signature = "sig", flowId = "flow_1"): FailingMember => ({ integrationId: id, flowId, signature, failingSince: at(minutes) });
const rules = { minAffected: 3, windowMinutes: 60 };

describe("largestCluster", () => {
  it("counts the most streaks that began within the window, its edge included", () => {
    expect(largestCluster([], 60)).toBe(0);
    expect(largestCluster([at(0), at(60), at(30)], 60)).toBe(3);
    expect(largestCluster([at(0), at(61), at(30)], 60)).toBe(2);
    expect(largestCluster([at(0), at(200), at(230), at(260), at(261)], 60)).toBe(3);
  });
});

describe("planIncidents", () => {
  it("opens at exactly minAffected within the window, with every failing copy of that flow and signature", () => {
    expect(planIncidents([member("a", 0), member("b", 10)], [], rules).open).toEqual([]);
    const plan = planIncidents([member("a", 0), member("b", 10), member("c", 60), member("old", -600)], [], rules);
    expect(plan.open).toHaveLength(1);
    expect(plan.open[0]!.members.map((m) => m.integrationId).sort()).toEqual(["a", "b", "c", "old"]);
  });

  it("keeps flows and signatures apart", () => {
    const plan = planIncidents([member("a", 0), member("b", 0, "other"), member("c", 0, "sig", "flow_2")], [], rules);
    expect(plan.open).toEqual([]);
  });

  it("grows, lets go and resolves an open incident, and opens no second one beside it", () => {
    const open = [{ id: "inc_1", flowId: "flow_1", signature: "sig", activeMemberIds: ["a", "b", "c"] }];
    const plan = planIncidents([member("a", 0), member("b", 0), member("d", 500)], open, rules);
    expect(plan.open).toEqual([]);
    expect(plan.join).toEqual([{ incidentId: "inc_1", members: [member("d", 500)] }]);
    expect(plan.leave).toEqual([{ incidentId: "inc_1", integrationIds: ["c"] }]);
    expect(plan.resolve).toEqual([]);
    expect(planIncidents([], open, rules)).toEqual({ open: [], join: [], leave: [], resolve: ["inc_1"] });
    // Planning again over the state the plan leaves changes nothing.
    const after = [{ id: "inc_1", flowId: "flow_1", signature: "sig", activeMemberIds: ["a", "b", "d"] }];
    expect(planIncidents([member("a", 0), member("b", 0), member("d", 500)], after, rules)).toEqual({ open: [], join: [], leave: [], resolve: [] });
  });
});
