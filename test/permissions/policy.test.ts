import { describe, expect, it } from "vitest";
import {
  actorLabel,
  can,
  decide,
  inScope,
  includes,
  isAdmin,
  ownsIntegration,
  NEEDS,
  PERMISSIONS,
  permissionBelow,
  scopeFor,
  type Actor,
  type EffectiveGrant,
  type Need,
  type Permission,
} from "../../src/domain/permissions.ts";

// The policy restated as plainly as possible, from the contract, to check the real one against on every case.
const LEVEL: Record<Permission, number> = { view: 1, run: 2, manage: 3 };
const GROUPS = ["g1", "g2"] as const;
const SCOPES = ["g1", "g2", null] as const;
const HELD_OPTIONS = [undefined, "view", "run", "manage"] as const;

function oracleHolds(actor: Actor, permission: Permission, groupId: string): boolean {
  if (actor.kind === "job") return true;
  if (actor.kind === "unmapped" || actor.kind === "end_user") return false;
  if (actor.role === "admin") return true;
  return actor.grants.some((g) => (g.groupId === null || g.groupId === groupId) && LEVEL[g.permission] >= LEVEL[permission]);
}

function oracleDecide(actor: Actor, need: Need, o: { groupId?: string; changes?: boolean; channelId?: string; allowedChannels?: string[] }): boolean {
  if (need === "anyone") return true;
  // An end user of the embed API holds no permission: the API checks they own what they change.
  if (actor.kind === "unmapped" || actor.kind === "end_user") return false;
  const inChannel = !o.changes || !o.allowedChannels || actor.kind === "job" || o.channelId === undefined || o.allowedChannels.includes(o.channelId);
  if (!inChannel) return false;
  if (need === "operator") return true;
  const admin = actor.kind === "job" || actor.role === "admin";
  if (need === "admin") return admin;
  if (o.groupId !== undefined) return oracleHolds(actor, need, o.groupId);
  return [...GROUPS, "elsewhere"].some((group) => oracleHolds(actor, need, group));
}

/** Every combination of grants over two groups and "all", direct or through a user group. */
function* grantSets(): Generator<EffectiveGrant[]> {
  for (const a of HELD_OPTIONS)
    for (const b of HELD_OPTIONS)
      for (const c of HELD_OPTIONS)
        for (const viaUsergroup of [false, true]) {
          const grants: EffectiveGrant[] = [];
          [a, b, c].forEach((held, i) => {
            if (held) grants.push({ permission: held, groupId: SCOPES[i]!, ...(viaUsergroup && i === 2 ? { viaUsergroup: "S0ONCALL" } : {}) });
          });
          yield grants;
        }
}

function* actors(): Generator<Actor> {
  yield { kind: "unmapped", slackUserId: "USTRANGER" };
  yield { kind: "job", job: "housekeeping-report" };
  for (const role of ["admin", "member"] as const) {
    for (const grants of grantSets()) yield { kind: "operator", operatorId: 1, email: "o@example.com", name: null, role, grants };
  }
}

describe("the permission policy, on every combination", () => {
  it("orders permissions: manage includes run includes view, and nothing includes more", () => {
    for (const held of PERMISSIONS) for (const needed of PERMISSIONS) expect(includes(held, needed)).toBe(LEVEL[held] >= LEVEL[needed]);
    expect(permissionBelow("manage")).toBe("run");
    expect(permissionBelow("run")).toBe("view");
    expect(permissionBelow("view")).toBeNull();
  });

  it("decides every actor × need × target × channel rule exactly as the contract says", () => {
    let cases = 0;
    let allowed = 0;
    for (const actor of actors()) {
      for (const need of NEEDS) {
        for (const groupId of [undefined, ...GROUPS]) {
          for (const changes of [false, true]) {
            for (const allowedChannels of [undefined, ["C0OPS"]]) {
              for (const channelId of [undefined, "C0OPS", "C0RANDOM", ""]) {
                const options = { groupId, changes, channelId, allowedChannels };
                const decision = decide(actor, need, options);
                const expected = oracleDecide(actor, need, options);
                if (decision.allowed !== expected) throw new Error(`decide(${JSON.stringify(actor)}, ${need}, ${JSON.stringify(options)}) = ${JSON.stringify(decision)}`);
                cases++;
                if (decision.allowed) allowed++;
                else {
                  // A denial always says why, and a missing permission names it (and the group when there is one).
                  expect(decision.reason).toBeDefined();
                  if (decision.reason === "missing_permission") {
                    expect(decision.permission).toBe(need);
                    expect(decision.groupId).toBe(groupId);
                  }
                  if (actor.kind === "unmapped") expect(decision.reason).toBe("unmapped");
                }
              }
            }
          }
        }
      }
    }
    expect(cases).toBe((2 + 2 * 4 ** 3 * 2) * NEEDS.length * 3 * 2 * 2 * 4);
    // Both answers occur often: the loops really cover allowed and denied cases.
    expect(allowed).toBeGreaterThan(cases / 10);
    expect(cases - allowed).toBeGreaterThan(cases / 10);
  });

  it("gives list queries exactly the groups the actor holds a permission on", () => {
    for (const actor of actors()) {
      for (const permission of PERMISSIONS) {
        const scope = scopeFor(actor, permission);
        for (const group of [...GROUPS, "elsewhere"]) {
          expect(inScope(scope, group)).toBe(oracleHolds(actor, permission, group));
          expect(can(actor, permission, group)).toBe(oracleHolds(actor, permission, group));
        }
        if (!scope.all) expect(scope.groupIds).toEqual([...scope.groupIds].sort());
      }
    }
  });

  it("never lets an unmapped Slack user past anything but help and whoami's need", () => {
    const stranger: Actor = { kind: "unmapped", slackUserId: "USTRANGER", email: "stranger@example.com" };
    for (const need of NEEDS) expect(decide(stranger, need, { groupId: "g1" }).allowed).toBe(need === "anyone");
    expect(isAdmin(stranger)).toBe(false);
    expect(scopeFor(stranger, "view")).toEqual({ all: false, groupIds: [] });
  });

  it("ignores a grant whose permission is not one it knows (fails closed)", () => {
    const odd: Actor = { kind: "operator", operatorId: 1, email: "o@example.com", name: null, role: "member", grants: [{ permission: "superuser" as Permission, groupId: null }] };
    for (const permission of PERMISSIONS) expect(can(odd, permission, "g1")).toBe(false);
    expect(scopeFor(odd, "view")).toEqual({ all: false, groupIds: [] });
  });

  it("names actors the way the audit log does", () => {
    expect(actorLabel({ kind: "unmapped", slackUserId: "U1" })).toBe("slack:U1");
    expect(actorLabel({ kind: "job", job: "x" })).toBe("job:x");
    expect(actorLabel({ kind: "end_user", configurationId: "cfg_1", userId: "u_9", accountId: "acc_1" })).toBe("job:embed:u_9");
    expect(actorLabel({ kind: "operator", operatorId: 1, email: "a@b.c", name: null, role: "member", grants: [] })).toBe("a@b.c");
  });
});

describe("end users of the embed API", () => {
  const endUser: Actor = { kind: "end_user", configurationId: "cfg_1", userId: "u_1", accountId: "acc_1" };
  const theirs = { configurationId: "cfg_1", sharingLevel: "user" as const, embedUserId: "u_1", embedAccountId: "acc_9" };

  it("may change only their own integrations (their account's at sharing level account), and hold no permission", () => {
    expect(ownsIntegration(endUser, theirs)).toBe(true);
    expect(ownsIntegration(endUser, { ...theirs, embedUserId: "u_2" })).toBe(false);
    expect(ownsIntegration(endUser, { ...theirs, configurationId: "cfg_2" })).toBe(false);
    expect(ownsIntegration(endUser, { ...theirs, sharingLevel: "account", embedUserId: "u_2", embedAccountId: "acc_1" })).toBe(true);
    expect(ownsIntegration(endUser, { ...theirs, sharingLevel: "account", embedAccountId: "acc_2" })).toBe(false);
    expect(ownsIntegration({ kind: "job", job: "embed:u_1" }, theirs)).toBe(false);
    expect(isAdmin(endUser)).toBe(false);
    for (const permission of PERMISSIONS) expect(can(endUser, permission, "g1")).toBe(false);
    expect(decide(endUser, "operator").allowed).toBe(false);
  });
});
