import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands/index.ts";
import type { Database } from "../../src/data/database.ts";
import type { Need, Permission } from "../../src/domain/permissions.ts";
import { PAGE_SIZE } from "../../src/slash/paging.ts";
import { startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld, WORLD } from "../support/fixtures.ts";
import { COMMAND_SAMPLES } from "./command-samples.ts";
import { buttonsOf, integrationIdsOf, SlackSession } from "./slack-session.ts";

type GroupId = "g1" | "g2" | "p1";
/** What each Slack user of the matrix holds, written out by hand from the fixtures (not computed by the policy). */
type Held = "admin" | "unmapped" | Partial<Record<GroupId, Permission>>;

const O = WORLD.operators;
const MATRIX: Array<{ who: string; slack: string; held: Held }> = [
  { who: "admin", slack: O.admin.slack, held: "admin" },
  { who: "member with view on g1", slack: O.viewer.slack, held: { g1: "view" } },
  { who: "member with run on g1", slack: O.runner.slack, held: { g1: "run" } },
  { who: "member with manage on g1", slack: O.manager.slack, held: { g1: "manage" } },
  { who: "member with manage on g2 only", slack: O.other.slack, held: { g2: "manage" } },
  { who: "member through the S0ONCALL user group (run on all)", slack: O.oncall.slack, held: { g1: "run", g2: "run", p1: "run" } },
  { who: "member without grants", slack: O.nobody.slack, held: {} },
  { who: "unmapped Slack user", slack: "USTRANGER", held: "unmapped" },
];

const LEVEL: Record<Permission, number> = { view: 1, run: 2, manage: 3 };

/** The contract's answer: may this holder use a command of this need, on this group (or anywhere)? */
function expectedAllowed(held: Held, need: Need, group?: GroupId): boolean {
  if (need === "anyone") return true;
  if (held === "unmapped") return false;
  if (held === "admin") return true;
  if (need === "operator") return true;
  if (need === "admin") return false;
  const groups: GroupId[] = group ? [group] : ["g1", "g2", "p1"];
  return groups.some((g) => held[g] !== undefined && LEVEL[held[g]!] >= LEVEL[need]);
}

/** Matrix targets: one integration per group, apart from the list's rows. */
const TARGETS: Record<"g1" | "g2", string> = { g1: "int_a01", g2: "int_b01" };
const COUNTS = { g1: 23, g2: 22, p1: 3 };

let testDb: TestDatabase;
let t: TestBot;
let db: Database;
let slack: SlackSession;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const setup = await testDb.open();
  await loadWorld(setup);
  await setup.models.Operator.create({ email: "extra@example.com", name: "Ext Ra", role: "member" });
  const seeds = (prefix: string, configurationId: "cfg_1" | "cfg_2" | "cfg_3", count: number) =>
    Array.from({ length: count }, (_, i) => ({ id: `int_${prefix}${String(i + 1).padStart(2, "0")}`, configurationId, createdAt: new Date(Date.UTC(2026, 8, 1 + i, 12)) }));
  await addIntegrations(setup, [...seeds("a", "cfg_1", COUNTS.g1), ...seeds("b", "cfg_2", COUNTS.g2), ...seeds("p", "cfg_3", COUNTS.p1)]);
  await setup.close();
  t = await startTestBot(testDb.url);
  db = t.bot.runtime.db;
  for (const operator of Object.values(O)) t.slack.emails.set(operator.slack, operator.email);
  t.slack.emails.set("USTRANGER", "stranger@example.com");
  t.slack.usergroups.set(WORLD.oncallGroup, [O.oncall.slack]);
  slack = new SlackSession(t);
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

async function deniedCount(): Promise<number> {
  return db.models.AuditEvent.count({ where: { outcome: "denied" } });
}

describe("list shows exactly the rows each caller may view, across page boundaries", () => {
  for (const { who, slack: user, held } of MATRIX) {
    it(`for the ${who}`, async () => {
      const first = await slack.command("list", user);
      if (!expectedAllowed(held, "view")) {
        expect(first.denied).toBe(true);
        return;
      }
      expect(first.denied).toBe(false);
      const seen: string[] = [];
      let answer = first;
      let pages = 0;
      for (;;) {
        pages++;
        const ids = integrationIdsOf(answer);
        expect(ids.length).toBeLessThanOrEqual(PAGE_SIZE);
        seen.push(...ids);
        const next = buttonsOf(answer).find((button) => button.label === "Next page");
        if (!next) break;
        // The next page is a button: clicked by the same person, checked again.
        answer = await slack.click(next.value, user);
        expect(answer.denied).toBe(false);
      }
      const visible = (["g1", "g2", "p1"] as const).filter((group) => expectedAllowed(held, "view", group));
      const expected = (await db.models.Integration.findAll({ attributes: ["id", "groupId"] })).filter((row) => (visible as readonly string[]).includes(row.groupId)).map((row) => row.id);
      expect(seen.sort()).toEqual(expected.sort());
      expect(new Set(seen).size).toBe(seen.length);
      const total = visible.reduce((sum, group) => sum + COUNTS[group], 0);
      expect(seen.length).toBe(total);
      expect(pages).toBe(Math.ceil(total / PAGE_SIZE));
      expect(total).toBeGreaterThan(PAGE_SIZE);
    });
  }
});

describe("the permission matrix: every registered command × every kind of caller, over signed Slack requests", () => {
  it("has a sample for every registered command", () => {
    const missing = COMMANDS.filter((command) => !COMMAND_SAMPLES[command.name]).map((command) => command.name);
    expect(missing, "add these to test/permissions/command-samples.ts").toEqual([]);
  });

  for (const command of COMMANDS) {
    const sample = COMMAND_SAMPLES[command.name];
    const groups: Array<"g1" | "g2" | undefined> = command.target ? ["g1", "g2"] : [undefined];
    for (const group of groups) {
      it(`${command.name}${group ? ` on an integration of ${group}` : ""}`, async () => {
        expect(sample, `no sample for ${command.name}`).toBeDefined();
        const text = `${command.name} ${sample!.args.replace("{id}", group ? TARGETS[group] : "")}`.trim();
        const outcomes: string[] = [];
        for (const { who, slack: user, held } of MATRIX) {
          const expected = expectedAllowed(held, command.need, group);
          const before = await deniedCount();
          const answer = await slack.command(text, user);
          const after = await deniedCount();
          outcomes.push(`${who}: ${answer.denied ? "denied" : "allowed"}`);
          expect(answer.denied, `${text} by the ${who}: ${answer.text.slice(0, 300)}`).toBe(!expected);
          // Every denial is in the audit log, once; nothing allowed is logged as denied.
          expect(after - before, `${text} by the ${who}`).toBe(expected ? 0 : 1);
          expect(answer.text).not.toContain("Something went wrong");
          if (!expected && group && held !== "unmapped" && held !== "admin" && command.need !== "admin") {
            // A denial on a target names the permission, the group, and who can grant it.
            expect(answer.text).toContain(group === "g1" ? "Acme Partners" : "Beta Group");
            expect(answer.text).toContain({ view: "Can view", run: "Can run", manage: "Can manage" }[command.need as Permission]);
            expect(answer.text).toContain(O.admin.email);
          }
        }
        expect(outcomes).toHaveLength(MATRIX.length);
      });
    }
  }
});

describe("help lists only what the caller may use", () => {
  for (const { who, slack: user, held } of MATRIX) {
    it(`for the ${who}`, async () => {
      const answer = await slack.command("help", user);
      for (const command of COMMANDS) {
        const listed = answer.text.includes(`/integrations ${command.usage}\``);
        expect(listed, `${command.name} in help for the ${who}`).toBe(expectedAllowed(held, command.need));
      }
    });
  }
});
