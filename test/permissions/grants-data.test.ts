import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureCli } from "../support/cli.ts";
import type { Database } from "../../src/data/database.ts";
import { grantAccess, linkSlackUser, parseGrantScope, parseGrantSubject, revokeAccess } from "../../src/data/grants.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { loadWorld, WORLD } from "../support/fixtures.ts";

const O = WORLD.operators;
const at = new Date("2026-11-20T12:00:00Z");
const admin: Actor = { kind: "operator", operatorId: 1, email: O.admin.email, name: null, role: "admin", grants: [] };
let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await loadWorld(db);
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

async function cli(...argv: string[]) {
  const result = await captureCli(argv, { DATABASE_URL: testDb.url });
  // Models are classes bound to the last opened connection: the CLI's closed one now, so open ours again.
  await db.close();
  db = await testDb.open();
  return result;
}

const grantRows = async () => JSON.stringify((await db.models.Grant.findAll({ order: [["id", "ASC"]] })).map((g) => [g.subjectKey, g.scopeKey, g.permission]));

describe("grant and revoke as data", () => {
  it("parses subjects and scopes as the CLI takes them", () => {
    expect(parseGrantSubject("Ops@Example.com")).toEqual({ kind: "operator", email: "ops@example.com" });
    expect(parseGrantSubject("S0ONCALL")).toEqual({ kind: "usergroup", usergroupId: "S0ONCALL" });
    expect(() => parseGrantSubject("@ops")).toThrow(/neither an operator email nor a Slack user group id/);
    expect(parseGrantScope("all")).toEqual({ all: true });
    expect(parseGrantScope("group:g1")).toEqual({ all: false, groupId: "g1" });
    expect(parseGrantScope("partner:p1")).toEqual({ all: false, groupId: "p1" });
    expect(() => parseGrantScope("g1")).toThrow(/`group:ID` or `all`/);
  });

  it("writes the audit entry in the same transaction as the grant: no audit, no grant", async () => {
    const before = await grantRows();
    await db.sequelize.getQueryInterface().renameTable("audit_events", "audit_events_away");
    try {
      await expect(grantAccess(db, { subject: { kind: "operator", email: O.nobody.email }, permission: "run", scope: { all: false, groupId: "g2" }, actor: admin, at })).rejects.toThrow();
      await expect(revokeAccess(db, { subject: { kind: "operator", email: O.viewer.email }, permission: "view", scope: { all: false, groupId: "g1" }, actor: admin, at })).rejects.toThrow();
      await expect(linkSlackUser(db, { slackUserId: "UNEW", email: "new@example.com", actor: admin, at })).rejects.toThrow();
    } finally {
      await db.sequelize.getQueryInterface().renameTable("audit_events_away", "audit_events");
    }
    expect(await grantRows()).toBe(before);
    expect(await db.models.Operator.count({ where: { email: "new@example.com" } })).toBe(0);
    expect(await db.models.SlackLink.count()).toBe(0);
  });

  it("audits a revoke of what was never granted as a no-op, and changes nothing", async () => {
    const before = await grantRows();
    const change = await revokeAccess(db, { subject: { kind: "usergroup", usergroupId: "S0NOBODY" }, permission: "view", scope: { all: true }, actor: admin, at });
    expect(change.changed).toBe(false);
    expect(await grantRows()).toBe(before);
    const entry = await db.models.AuditEvent.findOne({ where: { targetId: "S0NOBODY" } });
    expect([entry?.action, entry?.outcome]).toEqual(["revoke", "noop"]);
  });

  it("points at a grant on all groups when revoking one group it still covers", async () => {
    const change = await revokeAccess(db, { subject: { kind: "usergroup", usergroupId: WORLD.oncallGroup }, permission: "run", scope: { all: false, groupId: "g1" }, actor: admin, at });
    expect(change.changed).toBe(false);
    expect(change.message).toContain("still has Can run on all groups and partners");
  });
});

describe("embedops grant / revoke", () => {
  it("grants and revokes, audited as the CLI", async () => {
    const granted = await cli("grant", O.viewer.email, "manage", "group:g2");
    expect(granted).toMatchObject({ code: 0, err: "" });
    expect(granted.out).toBe("viewer@example.com now has Can manage on group Beta Group (g2).\n");
    const entry = await db.models.AuditEvent.findOne({ where: { action: "grant", targetId: O.viewer.email, groupId: "g2" } });
    expect(entry?.actor).toMatch(/^job:cli:/);
    const toGroup = await cli("grant", "S0PLATFORM", "view", "all");
    expect(toGroup.code).toBe(0);
    expect(await db.models.Grant.count({ where: { slackUsergroupId: "S0PLATFORM", scopeKey: "*", permission: "view" } })).toBe(1);
    expect((await cli("revoke", O.viewer.email, "view", "group:g2")).out).toContain("no longer has any permission");
    expect((await cli("grant", O.nobody.email, "admin", "all")).out).toContain("is now an admin");
    expect((await cli("revoke", O.nobody.email, "admin", "all")).out).toContain("is now a member");
  });

  it("exits non-zero with one line on bad input, changing nothing", async () => {
    const before = await grantRows();
    const cases: Array<[string[], RegExp]> = [
      [["grant", "ghost@example.com", "view", "group:g1"], /No operator has the email ghost@example.com/],
      [["grant", O.viewer.email, "view", "group:g9"], /No group or partner has the id g9|`g9`/],
      [["grant", O.viewer.email, "superuser", "all"], /not a permission: use view, run, manage or admin/],
      [["grant", O.viewer.email, "view", "g1"], /`group:ID` or `all`/],
      [["grant", "@viewer", "view", "all"], /neither an operator email nor a Slack user group id/],
      [["grant", O.viewer.email, "view"], /give SUBJECT PERMISSION SCOPE/],
      [["revoke", O.viewer.email, "manage", "group:p1"], /never granted Can manage/],
      [["revoke", O.viewer.email, "admin", "all"], /is not an admin/],
    ];
    for (const [argv, reason] of cases) {
      const result = await cli(...argv);
      expect(result.code, argv.join(" ")).not.toBe(0);
      expect(result.out, argv.join(" ")).toBe("");
      expect(result.err, argv.join(" ")).toMatch(reason);
      expect(result.err.trimEnd().split("\n"), argv.join(" ")).toHaveLength(1);
    }
    expect(await grantRows()).toBe(before);
  });
});
