import { Op, QueryTypes } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import type { Integration } from "../../src/data/models/index.ts";
import { demoDocument, seedDemo, seedScale } from "../../src/data/seed.ts";
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from "../support/database.ts";

const NOW = new Date("2026-11-20T12:00:00Z");
const DAY = 86_400_000;

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await seedDemo(db, { now: NOW, timeZone: "UTC" });
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

/** Recomputes an integration's latest-run fields from its stored flow runs. */
async function expectLatestRunFromRuns(integration: Integration): Promise<void> {
  const runs = await db.models.FlowRun.findAll({ where: { integrationId: integration.id }, order: [["startedAt", "ASC"], ["id", "ASC"]] });
  const latest = runs.at(-1);
  let failuresInRow = 0;
  for (let i = runs.length - 1; i >= 0 && runs[i]!.status === "error"; i--) failuresInRow += 1;
  const successes = runs.filter((run) => run.status === "success").map((run) => (run.finishedAt ?? run.startedAt).getTime());
  const context = `integration ${integration.id}`;
  expect(integration.latestRunId, context).toBe(latest?.id ?? null);
  expect(integration.latestRunStatus, context).toBe(latest?.status ?? null);
  expect(integration.latestRunAt?.getTime() ?? null, context).toBe(latest?.startedAt.getTime() ?? null);
  expect(integration.latestRunError ?? null, context).toBe(latest?.status === "error" ? latest.error : null);
  expect(integration.failuresInRow, context).toBe(failuresInRow);
  expect(integration.lastSuccessAt?.getTime() ?? null, context).toBe(successes.length ? Math.max(...successes) : null);
  const streakStart = failuresInRow ? runs[runs.length - failuresInRow]!.startedAt.getTime() : null;
  expect(integration.failingSince?.getTime() ?? null, context).toBe(streakStart);
  expect(integration.activityAt.getTime(), context).toBe(latest ? Math.max(latest.startedAt.getTime(), integration.createdAt.getTime()) : integration.createdAt.getTime());
}

describe("seedDemo", () => {
  it("has groups and partners, and configurations of both sharing levels, one with account secrets", async () => {
    const groups = await db.models.Group.findAll();
    expect(groups.filter((group) => group.kind === "group").length).toBeGreaterThanOrEqual(2);
    expect(groups.filter((group) => group.kind === "partner").length).toBeGreaterThanOrEqual(2);
    const configurations = await db.models.EmbedConfiguration.findAll();
    expect(new Set(configurations.map((configuration) => configuration.sharingLevel))).toEqual(new Set(["user", "account"]));
    const secrets = await db.models.AccountSecret.findAll();
    expect(secrets.length).toBeGreaterThan(0);
    expect(configurations.find((configuration) => configuration.id === secrets[0]!.configurationId)!.sharingLevel).toBe("account");
  });

  it("has about 200 integrations with realistic names, in every group", async () => {
    const integrations = await db.models.Integration.findAll();
    expect(integrations.length).toBeGreaterThanOrEqual(180);
    expect(integrations.length).toBeLessThanOrEqual(220);
    expect(integrations.find((integration) => integration.id === "int_1")!.name).toBe("HubSpot to Salesforce");
    expect(integrations.every((integration) => / to /.test(integration.name))).toBe(true);
    expect(new Set(integrations.map((integration) => integration.groupId)).size).toBe(await db.models.Group.count());
  });

  it("mixes healthy, failing, silent, overdue, never-run and disabled integrations", async () => {
    const m = db.models;
    const failing = await m.Integration.findAll({ where: { status: "enabled", failuresInRow: { [Op.gte]: 3 } } });
    expect(failing.length).toBeGreaterThanOrEqual(5);
    expect(failing.every((integration) => /^(\d{3} from |Timeout after|Connector auth for|.+: required field)/.test(integration.latestRunError ?? ""))).toBe(true);
    expect(await m.Integration.count({ where: { latestRunStatus: "success" } })).toBeGreaterThan(80);
    const silent = await m.Integration.count({ where: { status: "enabled", latestRunAt: { [Op.lt]: new Date(NOW.getTime() - 40 * DAY) } } });
    expect(silent).toBeGreaterThanOrEqual(3);
    expect(await m.Integration.count({ where: { latestRunId: null } })).toBeGreaterThanOrEqual(5);
    expect(await m.Integration.count({ where: { latestRunStatus: { [Op.in]: ["running", "retrying"] } } })).toBeGreaterThanOrEqual(1);
    // A few scheduled ones stopped some cadences ago: `list overdue` has something to show.
    expect(await m.Integration.count({ where: { status: "enabled", health: "overdue" } })).toBeGreaterThanOrEqual(2);
    const disabled = await m.Integration.findAll({ where: { status: "disabled" } });
    expect(disabled.length).toBeGreaterThanOrEqual(5);
    for (const integration of disabled) {
      expect(integration.statusChangedBy).toMatch(/@example\.com$/);
      expect(integration.disabledReason).toBeTruthy();
      // A disabled integration has not run since.
      if (integration.latestRunAt) expect(integration.latestRunAt.getTime()).toBeLessThan(integration.statusChangedAt!.getTime());
    }
    expect(await m.AuditEvent.count({ where: { action: "disable", outcome: "ok" } })).toBe(disabled.length);
  });

  it("keeps each integration's latest run consistent with its runs", async () => {
    const sample = await db.models.Integration.findAll({ order: [["id", "ASC"]] });
    for (const integration of sample.filter((_, index) => index % 9 === 0)) await expectLatestRunFromRuns(integration);
  });

  it("names connector auths by the platform's rule, with a few custom-named second logins", async () => {
    const auths = await db.models.ConnectorAuth.findAll();
    const defaults = auths.filter((auth) => / Login authorized on \d{4}-\d{2}-\d{2} by [\p{Lu}\d]+$/u.test(auth.name));
    const custom = auths.filter((auth) => !defaults.includes(auth));
    expect(defaults.length).toBeGreaterThan(200);
    expect(custom.length).toBeGreaterThanOrEqual(2);
    for (const auth of custom) {
      // Only a second or later login of the same owner for the same connector carries a custom name.
      const owner = auth.sharingLevel === "user" ? { embedUserId: auth.embedUserId } : { embedAccountId: auth.embedAccountId };
      const earlier = await db.models.ConnectorAuth.count({ where: { configurationId: auth.configurationId, connectorName: auth.connectorName, ...owner, createdAt: { [Op.lt]: auth.createdAt } } });
      expect(earlier, auth.id).toBeGreaterThan(0);
    }
    expect(auths.some((auth) => auth.proprietary)).toBe(true);
  });

  it("has an admin, members with grants on different groups, a user-group grant and Slack links", async () => {
    const m = db.models;
    expect((await m.Operator.findOne({ where: { email: "admin@example.com" } }))!.role).toBe("admin");
    const grants = await m.Grant.findAll();
    const memberScopes = new Set(grants.filter((grant) => grant.operatorId !== null && grant.groupId !== null).map((grant) => grant.groupId));
    expect(memberScopes.size).toBeGreaterThanOrEqual(3);
    expect(grants.some((grant) => grant.slackUsergroupId !== null)).toBe(true);
    expect(await m.SlackLink.count()).toBeGreaterThanOrEqual(1);
  });

  it("is deterministic, and loading it again changes nothing", async () => {
    expect(demoDocument(NOW)).toEqual(demoDocument(NOW));
    const before = await db.models.FlowRun.count();
    const again = await seedDemo(db, { now: NOW, timeZone: "UTC" });
    expect(again.disabled).toBe(0);
    expect(Object.values(again.counts).every((section) => section.created === 0)).toBe(true);
    expect(await db.models.FlowRun.count()).toBe(before);
  });
});

describe("seedScale", () => {
  it("bulk-inserts integrations with runs whose latest-run fields match, and tops up when run again", async () => {
    const progress: number[] = [];
    const first = await seedScale(db, { integrations: 60, runsPerIntegration: 12, now: NOW, batchSize: 25, onProgress: (p) => progress.push(p.integrations) });
    expect(first).toEqual({ integrations: 60, runs: 720, existing: 0 });
    expect(progress).toEqual([25, 50, 60]);
    const scale = await db.models.Integration.findAll({ where: { id: { [Op.like]: "int_s%" } }, order: [["id", "ASC"]] });
    expect(scale).toHaveLength(60);
    expect(scale.some((integration) => integration.failuresInRow >= 3)).toBe(true);
    for (const integration of scale.filter((_, index) => index % 5 === 0)) await expectLatestRunFromRuns(integration);
    // Every scale integration belongs to a configuration and group of the catalog.
    const configurations = new Set((await db.models.EmbedConfiguration.findAll()).map((configuration) => configuration.id));
    expect(scale.every((integration) => configurations.has(integration.configurationId))).toBe(true);

    const topUp = await seedScale(db, { integrations: 70, runsPerIntegration: 12, now: NOW, rebuildIndexes: true });
    expect(topUp).toEqual({ integrations: 10, runs: 120, existing: 60 });
    expect(await db.models.Integration.count({ where: { id: { [Op.like]: "int_s%" } } })).toBe(70);
    // The per-day roll-up holds every seeded run, per integration and UTC day.
    const runs = await db.models.FlowRun.findAll({ where: { integrationId: { [Op.like]: "int_s%" } }, attributes: ["integrationId", "startedAt", "status"], raw: true });
    const days = new Map<string, [number, number]>();
    for (const run of runs) {
      const key = `${run.integrationId} ${new Date(run.startedAt).toISOString().slice(0, 10)}`;
      const [count, errors] = days.get(key) ?? [0, 0];
      days.set(key, [count + 1, errors + (run.status === "error" ? 1 : 0)]);
    }
    const rolled = (await db.sequelize.query("SELECT integration_id, day, runs, errors FROM run_days WHERE integration_id LIKE 'int_s%'", { type: QueryTypes.SELECT })) as Array<Record<string, unknown>>;
    expect(rolled.map((row) => `${String(row.integration_id)} ${String(row.day)} ${Number(row.runs)} ${Number(row.errors)}`).sort()).toEqual(
      [...days].map(([key, [count, errors]]) => `${key} ${count} ${errors}`).sort(),
    );
    expect(days.size).toBeGreaterThan(70);
  });

  it.runIf(TEST_DIALECT === "sqlite")("rebuilds the flow_runs indexes it drops for a big load", async () => {
    const indexNames = async () =>
      ((await db.sequelize.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flow_runs' AND sql IS NOT NULL ORDER BY name")) as [Array<{ name: string }>, unknown])[0].map((row) => row.name);
    const before = await indexNames();
    expect(before).toEqual(expect.arrayContaining(["flow_runs_integration_started", "flow_runs_started"]));
    await seedScale(db, { integrations: 75, runsPerIntegration: 4, now: NOW, rebuildIndexes: true });
    expect(await indexNames()).toEqual(before);
    // An interrupted load that left an index dropped is repaired by the next one.
    await db.sequelize.query('DROP INDEX "flow_runs_started"');
    await seedScale(db, { integrations: 76, runsPerIntegration: 4, now: NOW, rebuildIndexes: false });
    expect(await indexNames()).toEqual(before);
  });
});
