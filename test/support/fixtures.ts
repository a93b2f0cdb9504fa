import type { Database } from "../../src/data/database.ts";
import { recordRuns, type RunInput } from "../../src/data/flow-runs.ts";
import type { Permission } from "../../src/domain/permissions.ts";

/** A small, known world: two groups and a partner, three configurations, operators of every kind. */
export const WORLD = {
  groups: [
    { id: "g1", name: "Acme Partners", kind: "group" as const },
    { id: "g2", name: "Beta Group", kind: "group" as const },
    { id: "p1", name: "Gamma Partner", kind: "partner" as const },
  ],
  operators: {
    admin: { email: "admin@example.com", slack: "UADMIN" },
    viewer: { email: "viewer@example.com", slack: "UVIEW" },
    runner: { email: "runner@example.com", slack: "URUN" },
    manager: { email: "manager@example.com", slack: "UMANAGE" },
    other: { email: "other@example.com", slack: "UOTHER" },
    oncall: { email: "oncall@example.com", slack: "UONCALL" },
    nobody: { email: "nobody@example.com", slack: "UNOBODY" },
  },
  oncallGroup: "S0ONCALL",
} as const;

/** Creates groups, configurations, flows, operators and grants of WORLD. */
export async function loadWorld(db: Database, now = new Date("2026-11-20T12:00:00Z")): Promise<void> {
  const m = db.models;
  await m.Group.bulkCreate(WORLD.groups.map((group) => ({ ...group })));
  await m.EmbedConfiguration.bulkCreate([
    { id: "cfg_1", name: "HubSpot sync", groupId: "g1", sharingLevel: "user", secret: "cfg-1-secret-value", proprietaryConnector: "HubSpot" },
    { id: "cfg_2", name: "Salesforce accounts", groupId: "g2", sharingLevel: "account", secret: "cfg-2-secret-value", proprietaryConnector: null },
    { id: "cfg_3", name: "Partner CRM", groupId: "p1", sharingLevel: "user", secret: "cfg-3-secret-value", proprietaryConnector: null },
  ]);
  await m.AccountSecret.create({ configurationId: "cfg_2", embedAccountId: "acc_vip", secret: "vip-account-secret" });
  await m.EmbedFlow.bulkCreate([
    { id: "flow_1", name: "HubSpot to CRM", url: "https://flows.example.com/flow_1", trigger: "scheduler", triggerUrl: null },
    { id: "flow_2", name: "Salesforce nightly", url: "https://flows.example.com/flow_2", trigger: "webhook", triggerUrl: null },
  ]);
  const o = WORLD.operators;
  const operators = await m.Operator.bulkCreate([
    { email: o.admin.email, name: "Ada Admin", role: "admin" },
    { email: o.viewer.email, name: "Vic Viewer", role: "member" },
    { email: o.runner.email, name: "Rita Runner", role: "member" },
    { email: o.manager.email, name: "Max Manager", role: "member" },
    { email: o.other.email, name: "Otto Other", role: "member" },
    { email: o.oncall.email, name: "Ona Oncall", role: "member" },
    { email: o.nobody.email, name: "Nora Nobody", role: "member" },
  ]);
  const id = (email: string) => operators.find((operator) => operator.email === email)!.id;
  const grant = (operatorId: number | null, permission: Permission, groupId: string | null, usergroup?: string) => ({
    operatorId,
    slackUsergroupId: usergroup ?? null,
    permission,
    groupId,
    subjectKey: usergroup ? `ug:${usergroup}` : `op:${operatorId}`,
    scopeKey: groupId ?? "*",
    createdBy: "fixture",
    createdAt: now,
    updatedAt: now,
  });
  await m.Grant.bulkCreate([
    grant(id(o.viewer.email), "view", "g1"),
    grant(id(o.runner.email), "run", "g1"),
    grant(id(o.manager.email), "manage", "g1"),
    grant(id(o.other.email), "manage", "g2"),
    grant(null, "run", null, WORLD.oncallGroup),
  ]);
}

/** Options for one test integration. */
export interface IntegrationSeed {
  id: string;
  name?: string;
  configurationId?: "cfg_1" | "cfg_2" | "cfg_3";
  flowId?: string;
  userId?: string;
  accountId?: string;
  status?: "enabled" | "disabled";
  createdAt?: Date;
  triggerUrl?: string | null;
}

const CONFIG_GROUP = { cfg_1: "g1", cfg_2: "g2", cfg_3: "p1" } as const;
const CONFIG_LEVEL = { cfg_1: "user", cfg_2: "account", cfg_3: "user" } as const;

/** Creates integrations (activated at createdAt, default 60 days before 2026-11-20). */
export async function addIntegrations(db: Database, seeds: IntegrationSeed[]): Promise<void> {
  await db.models.Integration.bulkCreate(
    seeds.map((seed) => {
      const configurationId = seed.configurationId ?? "cfg_1";
      const createdAt = seed.createdAt ?? new Date("2026-09-21T12:00:00Z");
      const userId = seed.userId ?? `u_${seed.id}`;
      const accountId = seed.accountId ?? `acc_${seed.id}`;
      const flowId = seed.flowId ?? "flow_1";
      return {
        id: seed.id,
        name: seed.name ?? `Integration ${seed.id}`,
        flowId,
        configurationId,
        groupId: CONFIG_GROUP[configurationId],
        sharingLevel: CONFIG_LEVEL[configurationId],
        activationKey: `${configurationId}|${flowId}|${CONFIG_LEVEL[configurationId] === "user" ? `u:${userId}` : `a:${accountId}`}`,
        embedUserId: userId,
        embedAccountId: accountId,
        embedUserName: "Jane van Doe",
        embedAccountName: null,
        embedState: null,
        status: seed.status ?? "enabled",
        triggerUrl: seed.triggerUrl ?? null,
        statusChangedAt: null,
        statusChangedBy: null,
        disabledReason: null,
        latestRunId: null,
        latestRunStatus: null,
        latestRunAt: null,
        latestRunError: null,
        lastSuccessAt: null,
        failingSince: null,
        activityAt: createdAt,
        manualRunId: null,
        createdAt,
        updatedAt: createdAt,
      };
    }),
  );
}

/** Records runs through the same path the API uses, so latest-run fields are right. */
export async function addRuns(db: Database, runs: RunInput[], now = new Date("2026-11-20T12:00:00Z")): Promise<void> {
  await db.sequelize.transaction(async (transaction) => {
    await recordRuns(db, runs, transaction, now);
  });
}
