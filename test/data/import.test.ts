import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/data/database.ts";
import { importData, ImportError, parseImportText, type ImportCounts } from "../../src/data/import.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const NOW = new Date("2026-11-20T12:00:00Z");
const VALID_TEXT = readFileSync(new URL("../fixtures/import-valid.json", import.meta.url), "utf8");
const BAD_ROW_TEXT = readFileSync(new URL("../fixtures/import-bad-row.json", import.meta.url), "utf8");
const SECRETS = ["cfg-1-signing-secret-DO-NOT-SHOW", "cfg-2-signing-secret-DO-NOT-SHOW", "acc-9-secret-DO-NOT-SHOW"];

/** A fresh copy of the valid fixture to change. */
function valid(): Record<string, any> {
  return JSON.parse(VALID_TEXT);
}

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

/** Empties every table the import writes, so each test starts from nothing. */
afterEach(async () => {
  const m = db.models;
  for (const model of [m.SlackLink, m.Grant, m.Operator, m.ConnectorAuth, m.FlowRun, m.Integration, m.EmbedFlow, m.AccountSecret, m.EmbedConfiguration, m.Group, m.AuditEvent]) {
    await (model as unknown as { destroy(options: object): Promise<number> }).destroy({ where: {}, truncate: false });
  }
});

async function tableCounts(): Promise<Record<string, number>> {
  const m = db.models;
  const entries = await Promise.all(
    Object.entries({ groups: m.Group, configurations: m.EmbedConfiguration, accountSecrets: m.AccountSecret, flows: m.EmbedFlow, integrations: m.Integration, runs: m.FlowRun, auths: m.ConnectorAuth, operators: m.Operator, grants: m.Grant, links: m.SlackLink, audit: m.AuditEvent }).map(
      async ([name, model]) => [name, await (model as unknown as { count(): Promise<number> }).count()] as const,
    ),
  );
  return Object.fromEntries(entries);
}

async function refused(input: unknown, timeZone = "UTC"): Promise<ImportError> {
  const error = await importData(db, input, { now: NOW, timeZone }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImportError);
  return error as ImportError;
}

function created(counts: ImportCounts): number {
  return Object.values(counts).reduce((sum, section) => sum + section.created + section.updated, 0);
}

describe("importData", () => {
  it("imports every section and derives what the file does not say", async () => {
    const counts = await importData(db, VALID_TEXT, { now: NOW, timeZone: "Europe/Berlin" });
    expect(counts.groups.created).toBe(2);
    expect(counts.integrations.created).toBe(3);
    expect(counts.runs.created).toBe(4);
    expect(counts.account_secrets.created).toBe(1);
    expect(counts.grants.created).toBe(2);
    const m = db.models;

    // Group and sharing level come from the configuration; the activation key from configuration, flow and user or account.
    const int1 = (await m.Integration.findByPk("int_1"))!;
    expect(int1).toMatchObject({ groupId: "g1", sharingLevel: "user", activationKey: "cfg_1|flow_1|u:u_1", status: "enabled" });
    const int2 = (await m.Integration.findByPk("int_2"))!;
    expect(int2).toMatchObject({ groupId: "p1", sharingLevel: "account", activationKey: "cfg_2|flow_2|a:acc_9" });
    expect(int2.createdAt.toISOString()).toBe("2026-02-01T07:00:00.000Z");

    // Runs arrive out of order; the latest one wins and the streak counts both errors.
    expect(int1.latestRunId).toBe("run_3");
    expect(int1.latestRunStatus).toBe("error");
    expect(int1.latestRunError).toBe("401 from HubSpot: token expired");
    expect(int1.failuresInRow).toBe(2);
    expect(int1.failingSince?.toISOString()).toBe("2026-11-19T10:00:00.000Z");
    expect(int1.lastSuccessAt?.toISOString()).toBe("2026-11-18T10:01:00.000Z");
    expect(int1.activityAt.toISOString()).toBe("2026-11-20T10:00:00.000Z");

    // Never ran: activity is the activation; imported disabled: who and when are recorded.
    const int3 = (await m.Integration.findByPk("int_3"))!;
    expect(int3.latestRunId).toBeNull();
    expect(int3.activityAt.toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(int3).toMatchObject({ status: "disabled", statusChangedBy: "job:import" });

    // Unnamed auths get the platform's name, dated in the configured time zone (23:30 UTC is the next day in Berlin).
    expect((await m.ConnectorAuth.findByPk("ca_1"))!).toMatchObject({ name: "HubSpot Login authorized on 2026-02-01 by JVD", proprietary: true, groupId: "g1", sharingLevel: "user" });
    expect((await m.ConnectorAuth.findByPk("ca_2"))!.name).toBe("HubSpot sandbox portal");
    // No user name: the embed_user_id stands in for the initials; no proprietary connector: not proprietary.
    expect((await m.ConnectorAuth.findByPk("ca_3"))!).toMatchObject({ name: "Salesforce Login authorized on 2026-02-01 by u_2", proprietary: false, sharingLevel: "account" });

    const ops = (await m.Operator.findOne({ where: { email: "ops@example.com" } }))!;
    expect(ops.role).toBe("member");
    expect((await m.Operator.findOne({ where: { email: "boss@example.com" } }))!.role).toBe("admin");
    const grants = await m.Grant.findAll({ order: [["subjectKey", "ASC"]] });
    expect(grants.map((grant) => [grant.subjectKey, grant.scopeKey, grant.permission, grant.groupId])).toEqual([
      [`op:${ops.id}`, "g1", "run", "g1"],
      ["ug:S0ONCALL", "*", "view", null],
    ]);
    expect((await m.SlackLink.findByPk("U0OLGA"))!.operatorId).toBe(ops.id);
    expect((await m.AccountSecret.findOne({ where: { configurationId: "cfg_2", embedAccountId: "acc_9" } }))!.secret).toBe("acc-9-secret-DO-NOT-SHOW");
    expect((await m.EmbedConfiguration.findByPk("cfg_1"))!.secret).toBe("cfg-1-signing-secret-DO-NOT-SHOW");

    // One audit line for the import, with counts and no secret.
    const audit = await m.AuditEvent.findAll({ where: { action: "import" } });
    expect(audit).toHaveLength(1);
    for (const secret of SECRETS) expect(audit[0]!.detail).not.toContain(secret);
  });

  it("changes nothing and duplicates nothing when the same file is imported twice", async () => {
    await importData(db, VALID_TEXT, { now: NOW, timeZone: "UTC" });
    const before = await tableCounts();
    const int1Before = (await db.models.Integration.findByPk("int_1"))!.get({ plain: true });
    const again = await importData(db, VALID_TEXT, { now: new Date("2026-11-21T12:00:00Z"), timeZone: "UTC" });
    expect(created(again)).toBe(0);
    expect(again.integrations.unchanged).toBe(3);
    expect(again.runs.unchanged).toBe(4);
    expect(again.grants.unchanged).toBe(2);
    expect(await tableCounts()).toEqual(before);
    expect((await db.models.Integration.findByPk("int_1"))!.get({ plain: true })).toEqual(int1Before);
  });

  it("updates what changed and counts it", async () => {
    await importData(db, VALID_TEXT, { now: NOW, timeZone: "UTC" });
    const file = valid();
    file.integrations[0].name = "HubSpot to CRM (renamed)";
    file.integrations[1].status = "disabled";
    file.grants[0].permission = "manage";
    file.configurations[1].account_secrets.acc_9 = "rotated-secret";
    const counts = await importData(db, file, { now: NOW, timeZone: "UTC" });
    expect(counts.integrations).toEqual({ created: 0, updated: 2, unchanged: 1 });
    expect(counts.grants).toEqual({ created: 0, updated: 1, unchanged: 1 });
    expect(counts.account_secrets).toEqual({ created: 0, updated: 1, unchanged: 0 });
    const int1 = (await db.models.Integration.findByPk("int_1"))!;
    expect(int1.name).toBe("HubSpot to CRM (renamed)");
    // The latest run survives an update of the integration's own columns.
    expect(int1.latestRunId).toBe("run_3");
    expect((await db.models.Integration.findByPk("int_2"))!).toMatchObject({ status: "disabled", statusChangedBy: "job:import" });
    expect(await db.models.AuditEvent.count({ where: { action: "disable", targetId: "int_2" } })).toBe(1);
  });

  it("refuses a file with one bad row, names its path, and writes nothing", async () => {
    const error = await refused(BAD_ROW_TEXT);
    expect(error.problems).toEqual([{ path: "runs[3].integration_id", message: "no integration int_9" }]);
    expect(error.message).toContain("runs[3].integration_id: no integration int_9");
    const counts = await tableCounts();
    expect(Object.values(counts).every((count) => count === 0)).toBe(true);
  });

  it("leaves existing data as it was when a later file is refused", async () => {
    await importData(db, VALID_TEXT, { now: NOW, timeZone: "UTC" });
    const before = await tableCounts();
    await refused(BAD_ROW_TEXT);
    expect(await tableCounts()).toEqual(before);
    expect((await db.models.Integration.findByPk("int_1"))!.name).toBe("HubSpot to CRM");
  });

  it("checks every reference against the file and the database", async () => {
    const file = valid();
    file.configurations[0].group_id = "g9";
    file.integrations[0].flow_id = "flow_9";
    file.integrations[1].configuration_id = "cfg_9";
    file.connector_auths[2].configuration_id = "cfg_8";
    file.grants[0].operator = "ghost@example.com";
    file.grants[1].group_id = "g7";
    file.slack_links[0].email = "nobody@example.com";
    const error = await refused(file);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        { path: "configurations[0].group_id", message: "no group g9" },
        { path: "integrations[0].flow_id", message: "no flow flow_9" },
        { path: "integrations[1].configuration_id", message: "no configuration cfg_9" },
        { path: "connector_auths[2].configuration_id", message: "no configuration cfg_8" },
        { path: "grants[0].operator", message: "no operator ghost@example.com" },
        { path: "grants[1].group_id", message: "no group g7" },
        { path: "slack_links[0].email", message: "no operator nobody@example.com" },
      ]),
    );
    expect(await db.models.Group.count()).toBe(0);
  });

  it("accepts references to rows that only the database holds", async () => {
    await importData(db, VALID_TEXT, { now: NOW, timeZone: "UTC" });
    const counts = await importData(
      db,
      {
        integrations: [{ id: "int_4", name: "Late activation", flow_id: "flow_2", configuration_id: "cfg_1", embed_user_id: "u_4", embed_account_id: "acc_4" }],
        runs: [
          { id: "run_5", integration_id: "int_1", status: "success", started_at: "2026-11-20T11:00:00Z", finished_at: "2026-11-20T11:01:00Z" },
          { id: "run_6", integration_id: "int_4", status: "running", started_at: "2026-11-20T11:30:00Z" },
        ],
        grants: [{ operator: "OPS@example.com", permission: "view", group_id: "p1" }],
        slack_links: [{ slack_user_id: "U0BEA", email: "boss@example.com" }],
      },
      { now: NOW, timeZone: "UTC" },
    );
    expect(counts.integrations.created).toBe(1);
    expect(counts.runs.created).toBe(2);
    const int1 = (await db.models.Integration.findByPk("int_1"))!;
    expect(int1).toMatchObject({ latestRunId: "run_5", latestRunStatus: "success", failuresInRow: 0, failingSince: null });
    const int4 = (await db.models.Integration.findByPk("int_4"))!;
    expect(int4).toMatchObject({ groupId: "g1", latestRunStatus: "running", createdAt: NOW });
  });

  it("names the path of every malformed field", async () => {
    const file = valid();
    file.integrations[0].status = "paused";
    delete file.integrations[1].embed_user_id;
    file.integrations[2].created_at = "yesterday";
    file.runs[0].finished_at = "2026-11-18T09:00:00Z";
    file.grants[0].slack_usergroup = "S0ONCALL";
    delete file.grants[1].group_id;
    file.flows[0].trigger_urll = "https://typo.example.com";
    file.operators[0].email = "not-an-email";
    const error = await refused(file);
    const paths = error.problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'integrations[0].status: must be "enabled" or "disabled"',
        "integrations[1].embed_user_id: is required",
        "integrations[2].created_at: must be an ISO 8601 time with a zone, e.g. 2026-01-31T10:00:00Z",
        "grants[0]: needs exactly one of operator or slack_usergroup",
        "grants[1].group_id: is required",
        "flows[0].trigger_urll: is not a field of the import format",
        "operators[0].email: must be an email address",
      ]),
    );
    expect(await db.models.Group.count()).toBe(0);
  });

  it("refuses repeats, a second activation, and a change of sharing level", async () => {
    const file = valid();
    file.runs.push({ ...file.runs[0] });
    file.integrations.push({ ...file.integrations[0], id: "int_1b" });
    const error = await refused(file);
    expect(error.problems.map((problem) => problem.path)).toEqual(expect.arrayContaining(["runs[4].id", "integrations[3]"]));
    expect(error.problems.find((problem) => problem.path === "integrations[3]")!.message).toContain("second activation of flow flow_1 in cfg_1 for user u_1");

    await importData(db, VALID_TEXT, { now: NOW, timeZone: "UTC" });
    const changed = valid();
    changed.configurations[0].sharing_level = "account";
    const levelError = await refused({ configurations: [changed.configurations[0]] });
    expect(levelError.problems).toEqual([{ path: "configurations[0].sharing_level", message: "cfg_1 was created with sharing level user, which cannot change" }]);
    const clash = await refused({ integrations: [{ ...valid().integrations[0], id: "int_other" }] });
    expect(clash.problems[0]!.message).toContain("already activated for the same user as integration int_1");
  });

  it("never repeats a secret in an answer, even about the secret itself", async () => {
    const file = valid();
    file.configurations[0].secret = 1234567890987;
    file.configurations[1].account_secrets = { acc_9: ["acc-9-secret-DO-NOT-SHOW"], acc_10: "" };
    file.configurations.push({ id: "cfg_3", name: "No secret", group_id: "g1", sharing_level: "user" });
    const error = await refused(file);
    const text = `${error.message}\n${error.problems.map((problem) => `${problem.path}: ${problem.message}`).join("\n")}`;
    expect(text).toContain("configurations[0].secret: must be a string");
    expect(text).toContain("configurations[1].account_secrets.acc_9");
    expect(text).toContain("configurations[1].account_secrets.acc_10: must not be empty");
    for (const secret of [...SECRETS, "1234567890987"]) expect(text).not.toContain(secret);

    // Invalid JSON is located by line and column, never quoted: the text around the error is a secret here.
    const broken = '{"configurations": [{"secret": "cfg-1-signing-secret-DO-NOT-SHOW" "name": "x"}]}';
    const jsonError = (() => {
      try {
        parseImportText(broken);
      } catch (caught) {
        return caught as ImportError;
      }
      throw new Error("parsed");
    })();
    expect(jsonError.problems[0]!.message).toMatch(/^is not valid JSON at line 1, column \d+$/);
    expect(jsonError.message).not.toContain("DO-NOT-SHOW");
  });
});
