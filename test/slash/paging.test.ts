import { COMMANDS } from "../../commands/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { consoleActor, consoleMessages } from "../../src/console.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import { toBlockKit } from "../../src/slack/block-kit.ts";
import type { Doc } from "../../src/reply/document.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, addRuns, loadWorld, WORLD } from "../support/fixtures.ts";
import { Writable } from "node:stream";

const NOW = new Date("2026-11-20T12:00:00Z");
const MIN = 60_000;
const ROWS = 95;

let testDb: TestDatabase;
let runtime: Runtime;
let admin: Actor;

/** Row i's time: five rows share each minute, so ties are broken by id across page boundaries. */
const timeOf = (i: number) => new Date(NOW.getTime() - 60 * MIN - Math.floor(i / 5) * MIN);
const pad = (i: number) => String(i).padStart(3, "0");

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db, NOW);
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  runtime = await openRuntime(loadConfig({ DATABASE_URL: testDb.url, TZ: "UTC" }), { db, clock: new FakeClock(NOW), messages: consoleMessages(sink, "/integrations"), commands: COMMANDS });
  admin = await consoleActor(runtime, WORLD.operators.admin.email);
  await addIntegrations(db, Array.from({ length: ROWS }, (_, i) => ({ id: `pg_${pad(i)}`, createdAt: timeOf(i) })));
  await addIntegrations(db, [{ id: "pg_runs", createdAt: new Date("2026-01-01T00:00:00Z") }]);
  await addRuns(db, Array.from({ length: ROWS }, (_, i) => ({ id: `run_${pad(i)}`, integrationId: "pg_runs", status: "success" as const, startedAt: timeOf(i), finishedAt: timeOf(i) })), NOW);
  await db.models.ConnectorAuth.bulkCreate(
    Array.from({ length: ROWS }, (_, i) => authRow(`ca_${pad(i)}`, timeOf(i))),
  );
  await db.models.AuditEvent.bulkCreate(Array.from({ length: ROWS }, (_, i) => auditRow(`t_${pad(i)}`, timeOf(i))));
});

afterAll(async () => {
  await runtime?.close();
  await runtime?.db.close();
  await testDb?.drop();
});

function authRow(id: string, at: Date) {
  return {
    id, name: id, connectorName: "HubSpot", configurationId: "cfg_1", groupId: "g1", sharingLevel: "user" as const,
    embedUserId: `u_${id}`, embedAccountId: "acc_1", embedUserName: null, proprietary: true, createdAt: at, updatedAt: at,
  };
}

function auditRow(targetId: string, at: Date) {
  return { at, actor: "fixture@example.com", actorSlackUserId: null, action: "run", targetId, groupId: null, outcome: "ok" as const, detail: null };
}

/** The ids a page shows: the first word of each table row that looks like one of ours. */
function idsOn(doc: Doc, pattern: RegExp): string[] {
  const table = doc.blocks.find((block) => block.type === "table");
  if (!table || table.type !== "table") return [];
  return table.rows.map((row) => row.join(" ").match(pattern)?.[0]).filter((id): id is string => id !== undefined);
}

/** The command behind the page's `Next page` button, if any. */
function nextPage(doc: Doc): string | undefined {
  for (const block of doc.blocks) if (block.type === "actions") for (const button of block.buttons) if (button.label === "Next page") return button.command;
  return undefined;
}

async function answer(command: string): Promise<Doc> {
  const reply = await runtime.dispatcher.handle(command, admin, { transport: "console" });
  return reply.doc;
}

/** Inserts one row newer than everything and one in the middle of what is left to page through. */
const INSERT: Record<string, (n: number) => Promise<void>> = {
  list: (n) => addIntegrations(runtime.db, [{ id: `new_top_${n}`, createdAt: NOW }, { id: `new_mid_${n}`, createdAt: timeOf(90) }]),
  runs: (n) =>
    addRuns(runtime.db, [
      { id: `new_top_${n}`, integrationId: "pg_runs", status: "error", startedAt: NOW, finishedAt: NOW, error: "x" },
      { id: `new_mid_${n}`, integrationId: "pg_runs", status: "success", startedAt: timeOf(90), finishedAt: timeOf(90) },
    ], NOW),
  auths: async (n) => {
    await runtime.db.models.ConnectorAuth.bulkCreate([authRow(`new_top_${n}`, NOW), authRow(`new_mid_${n}`, timeOf(90))]);
  },
  audit: async (n) => {
    await runtime.db.models.AuditEvent.bulkCreate([auditRow(`new_top_${n}`, NOW), auditRow(`new_mid_${n}`, timeOf(90))]);
  },
};

const WALKS = [
  { name: "list", command: "list pg_", pattern: /\bpg_\d{3}\b|\bnew_(top|mid)_\d+\b/, prefix: "pg_" },
  { name: "runs", command: "runs pg_runs", pattern: /\brun_\d{3}\b|\bnew_(top|mid)_\d+\b/, prefix: "run_" },
  { name: "auths", command: "auths", pattern: /\bca_\d{3}\b|\bnew_(top|mid)_\d+\b/, prefix: "ca_" },
  { name: "audit", command: "audit", pattern: /\bt_\d{3}\b|\bnew_(top|mid)_\d+\b/, prefix: "t_" },
] as const;

describe("paging forwards through every page", () => {
  for (const walk of WALKS) {
    it(`${walk.name}: each of ${ROWS} rows appears exactly once, with rows inserted between pages`, async () => {
      const seen: string[] = [];
      let command: string | undefined = walk.command;
      let page = 0;
      while (command) {
        const doc = await answer(command);
        page += 1;
        expect(JSON.stringify(doc.blocks[0])).toContain(`page ${page}`);
        seen.push(...idsOn(doc, walk.pattern));
        command = nextPage(doc);
        if (command) {
          // The Slack button carries the same command as its value.
          expect(JSON.stringify(toBlockKit(doc).blocks)).toContain(JSON.stringify(command));
          await INSERT[walk.name]!(page);
        }
        expect(page).toBeLessThan(20);
      }
      const originals = seen.filter((id) => id.startsWith(walk.prefix));
      expect(new Set(seen).size).toBe(seen.length);
      expect(originals.length).toBe(ROWS);
      expect(page).toBeGreaterThanOrEqual(5);
    });
  }

  it("shows page 3's rows under `page:3` typed without a link, and a next link that goes on from there", async () => {
    const first = await answer("list pg_0");
    const second = await answer(nextPage(first)!);
    const third = await answer(nextPage(second)!);
    const typed = await answer("list pg_0 page:3");
    expect(JSON.stringify(typed.blocks[0])).toContain("page 3");
    expect(idsOn(typed, /\bpg_\d{3}\b/)).toEqual(idsOn(third, /\bpg_\d{3}\b/));
    expect(idsOn(typed, /\bpg_\d{3}\b/)).not.toEqual(idsOn(first, /\bpg_\d{3}\b/));
    const fourth = await answer(nextPage(typed)!);
    expect(JSON.stringify(fourth.blocks[0])).toContain("page 4");
    expect(idsOn(fourth, /\bpg_\d{3}\b/)[0]! > idsOn(typed, /\bpg_\d{3}\b/).at(-1)!).toBe(true);
  });
});

describe("a tampered or foreign page link", () => {
  const INVALID = /This page link is no longer valid/;
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  it("is refused with one clear answer, whatever was changed", async () => {
    const next = nextPage(await answer("list pg_"))!;
    const link = /after:(\S+)/.exec(next)![1]!;
    const [key, page] = link.split(".");
    const cases = [
      "list pg_ after:garbage",
      // The link of `list pg_` used for another filter.
      next.replace("list pg_", "list status:enabled"),
      // Another page number than the link's.
      next.replace(/page:\d+/, "page:7"),
      // A cursor that decodes to values the database cannot take.
      `list pg_ after:${key}.${page}.${b64([1e300, "x"])}`,
      `list pg_ after:${key}.${page}.zzzzzzzzzz.eA`,
      `list pg_ after:${key}.${page}.1.${"%"}`,
      `runs pg_runs after:${link}`,
      `audit after:${link}`,
    ];
    for (const command of cases) {
      const doc = await answer(command);
      expect(doc.text, command).toMatch(INVALID);
    }
  });

  it("is refused for a keyset cursor of the wrong shape on every paged command", async () => {
    for (const command of ["list pg_", "runs pg_runs", "auths", "audit"]) {
      const next = nextPage(await answer(command))!;
      const [key, page] = /after:(\S+)/.exec(next)![1]!.split(".");
      const name = command.split(" ")[0]!;
      const rest = command.slice(name.length);
      for (const cursor of [b64([1e300, "x"]), "zzzzzzzzzz.eA", `${(Date.UTC(10000, 0, 1)).toString(36)}.eA`, "abc.%%%"]) {
        const doc = await answer(`${name}${rest} after:${key}.${page}.${cursor} page:${page}`);
        expect(doc.text, `${command} ${cursor}`).toMatch(INVALID);
      }
    }
  });
});
