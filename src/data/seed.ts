import { Op, type Transaction } from "sequelize";
import type { Actor } from "../domain/permissions.ts";
import type { Runtime } from "../runtime.ts";
import type { Database } from "./database.ts";
import { activationKey } from "../domain/activation.ts";
import { importData, type ImportCounts, type ImportInput } from "./import.ts";
import { setIntegrationStatus } from "./integration-status.ts";
import type { SharingLevel } from "./models/index.ts";
import { applyRunDays, type RunDayChange } from "./run-days.ts";
import { ensureAdmins } from "./operators.ts";

// ---------------------------------------------------------------------------------------------
// The demo catalog: who sells the embed, which setups and template flows exist.
// ---------------------------------------------------------------------------------------------

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

interface DemoFlow {
  id: string;
  name: string;
  connectors: [string, string];
  trigger: "scheduler" | "webhook";
}

interface DemoConfiguration {
  id: string;
  name: string;
  groupId: string;
  sharingLevel: SharingLevel;
  proprietaryConnector: string | null;
  flows: string[];
  /** How many integrations the demo activates in it. */
  integrations: number;
}

const GROUPS = [
  { id: "g_acme", name: "Acme Partners", kind: "group" as const },
  { id: "g_northwind", name: "Northwind Agency", kind: "group" as const },
  { id: "g_globex", name: "Globex Resellers", kind: "group" as const },
  { id: "p_initech", name: "Initech", kind: "partner" as const },
  { id: "p_umbrella", name: "Umbrella Cloud", kind: "partner" as const },
  { id: "p_hooli", name: "Hooli Marketplace", kind: "partner" as const },
];

const FLOWS: DemoFlow[] = [
  { id: "flow_hubspot_salesforce", name: "HubSpot to Salesforce", connectors: ["HubSpot", "Salesforce"], trigger: "scheduler" },
  { id: "flow_shopify_netsuite", name: "Shopify orders to NetSuite", connectors: ["Shopify", "NetSuite"], trigger: "webhook" },
  { id: "flow_zendesk_jira", name: "Zendesk tickets to Jira", connectors: ["Zendesk", "Jira"], trigger: "webhook" },
  { id: "flow_stripe_quickbooks", name: "Stripe payments to QuickBooks", connectors: ["Stripe", "QuickBooks"], trigger: "scheduler" },
  { id: "flow_gmail_hubspot", name: "Gmail leads to HubSpot", connectors: ["Gmail", "HubSpot"], trigger: "scheduler" },
  { id: "flow_typeform_sheets", name: "Typeform responses to Google Sheets", connectors: ["Typeform", "Google Sheets"], trigger: "webhook" },
  { id: "flow_salesforce_slack", name: "Salesforce opportunities to Slack", connectors: ["Salesforce", "Slack"], trigger: "scheduler" },
  { id: "flow_bamboohr_okta", name: "BambooHR employees to Okta", connectors: ["BambooHR", "Okta"], trigger: "scheduler" },
  { id: "flow_pipedrive_xero", name: "Pipedrive deals to Xero", connectors: ["Pipedrive", "Xero"], trigger: "scheduler" },
  { id: "flow_hubspot_mailchimp", name: "HubSpot contacts to Mailchimp", connectors: ["HubSpot", "Mailchimp"], trigger: "scheduler" },
  { id: "flow_asana_teams", name: "Asana tasks to Microsoft Teams", connectors: ["Asana", "Microsoft Teams"], trigger: "webhook" },
  { id: "flow_shopify_klaviyo", name: "Shopify customers to Klaviyo", connectors: ["Shopify", "Klaviyo"], trigger: "scheduler" },
];

const CONFIGURATIONS: DemoConfiguration[] = [
  { id: "cfg_acme_crm", name: "Acme CRM sync", groupId: "g_acme", sharingLevel: "user", proprietaryConnector: "HubSpot", flows: ["flow_hubspot_salesforce", "flow_gmail_hubspot", "flow_hubspot_mailchimp", "flow_salesforce_slack"], integrations: 36 },
  { id: "cfg_acme_finance", name: "Acme Finance Hub", groupId: "g_acme", sharingLevel: "account", proprietaryConnector: "Stripe", flows: ["flow_stripe_quickbooks", "flow_pipedrive_xero"], integrations: 24 },
  { id: "cfg_northwind_commerce", name: "Northwind Commerce", groupId: "g_northwind", sharingLevel: "user", proprietaryConnector: "Shopify", flows: ["flow_shopify_netsuite", "flow_shopify_klaviyo", "flow_typeform_sheets"], integrations: 32 },
  { id: "cfg_globex_support", name: "Globex Support Desk", groupId: "g_globex", sharingLevel: "account", proprietaryConnector: "Zendesk", flows: ["flow_zendesk_jira", "flow_asana_teams"], integrations: 24 },
  { id: "cfg_initech_sales", name: "Initech Sales Cloud", groupId: "p_initech", sharingLevel: "user", proprietaryConnector: "Salesforce", flows: ["flow_hubspot_salesforce", "flow_salesforce_slack", "flow_pipedrive_xero"], integrations: 30 },
  { id: "cfg_umbrella_people", name: "Umbrella People Ops", groupId: "p_umbrella", sharingLevel: "account", proprietaryConnector: "BambooHR", flows: ["flow_bamboohr_okta", "flow_asana_teams"], integrations: 22 },
  { id: "cfg_hooli_apps", name: "Hooli App Marketplace", groupId: "p_hooli", sharingLevel: "user", proprietaryConnector: null, flows: ["flow_typeform_sheets", "flow_stripe_quickbooks", "flow_zendesk_jira", "flow_hubspot_mailchimp"], integrations: 32 },
];

/** The configuration with per-account secrets, and the accounts that have one. */
const ACCOUNT_SECRET_CONFIGURATION = "cfg_acme_finance";

const FIRST_NAMES = ["Jane", "Lukas", "Amara", "Mateo", "Sofia", "Kenji", "Olivia", "Noah", "Fatima", "Liam", "Chloé", "Arjun", "Emma", "Jonas", "Zoe", "Diego", "Hana", "Erik", "Maya", "Tariq", "Ingrid", "Pablo", "Aiko", "Sven"];
const LAST_NAMES = ["van Doe", "Schmidt", "Okafor", "García", "Rossi", "Tanaka", "Smith", "Müller", "Haddad", "O'Brien", "Dubois", "Patel", "Johansson", "Novak", "Kowalski", "Silva", "Kim", "Larsen", "Cohen", "Nguyen"];
const COMPANIES = ["Blue Harbor Ltd", "Kestrel Logistics", "Nordlicht GmbH", "Pinecrest Dental", "Solace Studios", "Vantage Foods", "Orbit Fitness", "Maple & Co", "Tidewater Realty", "Cobalt Health", "Brightline Legal", "Juniper Retail", "Summit Outdoor", "Lumen Analytics", "Harvest Bakery", "Atlas Freight"];

const DISABLE_REASONS = [
  "Customer churned, contract ended",
  "Token expired for weeks, customer not responding",
  "Duplicate of a newer integration",
  "Paused at the customer's request during their migration",
  "Stopping runs until the overdue invoice is paid",
];

/** Error texts as connectors report them. */
function errorTexts(connector: string): string[] {
  return [
    `401 from ${connector}: token expired`,
    `403 from ${connector}: insufficient scope for this object`,
    `429 from ${connector}: rate limit exceeded, retry after 60s`,
    `500 from ${connector}: internal server error`,
    `Timeout after 30s waiting for ${connector}`,
    `${connector}: required field "email" is missing on record 8812`,
    `Connector auth for ${connector} was revoked by the user`,
  ];
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence, so the demo and benchmarks repeat. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof seededRandom>;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

/** The groups, configurations (with secrets) and flows the demo and the scale data share. */
function catalog(): Pick<ImportInput, "groups" | "configurations" | "flows"> {
  return {
    groups: GROUPS.map((group) => ({ ...group })),
    configurations: CONFIGURATIONS.map((configuration) => ({
      id: configuration.id,
      name: configuration.name,
      group_id: configuration.groupId,
      sharing_level: configuration.sharingLevel,
      // Demo secrets only: a real deployment imports its own.
      secret: `demo-secret-${configuration.id}`,
      ...(configuration.id === ACCOUNT_SECRET_CONFIGURATION ? { account_secrets: { acc_blue_harbor: "demo-account-secret-blue-harbor", acc_kestrel_logistics: "demo-account-secret-kestrel" } } : {}),
      proprietary_connector: configuration.proprietaryConnector,
    })),
    flows: FLOWS.map((flow) => ({
      id: flow.id,
      name: flow.name,
      url: `https://app.example.com/embed/flows/${flow.id}`,
      trigger: flow.trigger,
      trigger_url: `https://engine.example.com/hooks/${flow.id}`,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Demo data
// ---------------------------------------------------------------------------------------------

type Profile = "healthy" | "flaky" | "failing" | "silent" | "never" | "in-flight" | "overdue";

/** The operators of the demo, their grants and Slack links. */
const OPERATORS = [
  { email: "admin@example.com", name: "Ada Admin", role: "admin" as const },
  { email: "maria.garcia@example.com", name: "Maria Garcia", role: "member" as const },
  { email: "tom.becker@example.com", name: "Tom Becker", role: "member" as const },
  { email: "priya.shah@example.com", name: "Priya Shah", role: "member" as const },
  { email: "li.wei@example.com", name: "Li Wei", role: "member" as const },
  { email: "sam.oncall@example.com", name: "Sam Oncall", role: "member" as const },
  { email: "jonas.neumann@example.com", name: "Jonas Neumann", role: "member" as const },
];

/** Who disables what in the demo: someone allowed to manage the integration's group. */
const DISABLERS: Record<string, string> = {
  g_acme: "maria.garcia@example.com",
  p_hooli: "priya.shah@example.com",
};

/** Builds the demo as an import document plus who disabled what; pure and deterministic for one `now`. */
export function demoDocument(now: Date): { document: ImportInput; disabled: Array<{ id: string; at: Date; by: string; reason: string }> } {
  // Stays long: it is the demo's data, declared row by row; the logic lives in the small helpers above.
  const random = seededRandom(20261121);
  const iso = (date: Date) => date.toISOString();
  const integrations: NonNullable<ImportInput["integrations"]> = [];
  const runs: NonNullable<ImportInput["runs"]> = [];
  const auths: NonNullable<ImportInput["connector_auths"]> = [];
  const authKeys = new Set<string>();
  const disabled: Array<{ id: string; at: Date; by: string; reason: string }> = [];
  let integrationNumber = 0;
  let authNumber = 0;

  for (const configuration of CONFIGURATIONS) {
    const keys = new Set<string>();
    let made = 0;
    while (made < configuration.integrations) {
      // int_1, the one the README shows, is the classic HubSpot to Salesforce sync.
      const flowId = integrationNumber === 0 ? "flow_hubspot_salesforce" : pick(random, configuration.flows);
      const flow = FLOWS.find((candidate) => candidate.id === flowId)!;
      const first = pick(random, FIRST_NAMES);
      const last = pick(random, LAST_NAMES);
      const company = pick(random, COMPANIES);
      const accountId = `acc_${company.toLowerCase().replace(/[^a-z]+/g, "_").replace(/_(ltd|gmbh|co)$/, "").replace(/_+$/, "")}`;
      const userId = `u_${first.toLowerCase().normalize("NFD").replace(/[^a-z]/g, "")}_${between(random, 100, 999)}`;
      const key = activationKey(configuration.id, flow.id, configuration.sharingLevel, userId, accountId);
      if (keys.has(key)) continue;
      keys.add(key);
      made += 1;
      integrationNumber += 1;
      const id = `int_${integrationNumber}`;

      // int_1 runs fine, with an error a few runs back.
      const roll = random();
      const rolled: Profile =
        integrationNumber === 1 ? "flaky"
        : roll < 0.08 ? "never"
        : roll < 0.19 ? "silent"
        : roll < 0.33 ? "failing"
        : roll < 0.37 ? "in-flight"
        : roll < 0.47 ? "flaky"
        : "healthy";
      // A few healthy copies of scheduled flows stopped running some cadences ago: overdue, not yet stale. Chosen
      // without drawing from the random sequence, so every other integration stays as it was.
      const profile: Profile = rolled === "healthy" && flow.trigger === "scheduler" && integrationNumber % 29 === 7 ? "overdue" : rolled;
      const createdAt = new Date(now.getTime() - between(random, 20, 240) * DAY - between(random, 0, 23) * HOUR);
      const suffix = random() < 0.12 ? ` (${pick(random, ["EU", "US", "staging", "main store", "backfill"])})` : "";
      const userName = `${first} ${last}`;
      integrations.push({
        id,
        name: `${flow.name}${suffix}`,
        flow_id: flow.id,
        configuration_id: configuration.id,
        embed_user_id: userId,
        embed_account_id: accountId,
        embed_user_name: userName,
        embed_account_name: company,
        status: "enabled",
        created_at: iso(createdAt),
      });

      // Connector auths: one per connector and end user (or account), named by the platform's rule.
      for (const connector of flow.connectors) {
        const owner = configuration.sharingLevel === "user" ? userId : accountId;
        const authKey = `${configuration.id}|${owner}|${connector}`;
        if (authKeys.has(authKey)) continue;
        authKeys.add(authKey);
        const addAuth = (at: Date, name?: string) => {
          authNumber += 1;
          auths.push({
            id: `ca_${authNumber}`,
            connector_name: connector,
            configuration_id: configuration.id,
            embed_user_id: userId,
            embed_account_id: accountId,
            embed_user_name: userName,
            ...(name ? { name } : {}),
            created_at: iso(at),
          });
        };
        addAuth(new Date(createdAt.getTime() - between(random, 1, 30) * MINUTE));
        // Now and then a second login for the same connector, which may carry a custom name.
        if (random() < 0.04) {
          const name = `${connector} ${pick(random, ["sandbox", "EU workspace", "backup login", "finance team"])}`;
          addAuth(new Date(createdAt.getTime() + between(random, 2, 15) * DAY), name);
        }
      }

      // Flow runs, newest first while generating, by profile.
      const cadence = flow.trigger === "scheduler" ? pick(random, [6 * HOUR, 12 * HOUR, DAY]) : between(random, 3, 18) * HOUR;
      const lastRunAt =
        profile === "silent" ? new Date(now.getTime() - between(random, 41, 140) * DAY)
        : new Date(now.getTime() - (profile === "overdue" ? 5 * cadence : 0) - between(random, 5, Math.min(cadence / MINUTE, 600)) * MINUTE);
      const count = profile === "never" ? 0 : between(random, 6, 24);
      const streak = profile === "failing" ? between(random, 3, Math.min(9, count)) : 0;
      const streakError = pick(random, errorTexts(pick(random, flow.connectors)));
      for (let n = 0; n < count; n++) {
        const startedAt = new Date(lastRunAt.getTime() - n * cadence - between(random, 0, 20) * MINUTE);
        if (startedAt < createdAt) break;
        let status: "success" | "error" | "running" | "retrying" = "success";
        let error: string | undefined;
        if (n < streak) {
          status = "error";
          error = streakError;
        } else if (profile === "in-flight" && n === 0) status = random() < 0.5 ? "running" : "retrying";
        else if ((profile === "flaky" && (random() < 0.3 || (integrationNumber === 1 && n === 2))) || random() < 0.03) {
          status = "error";
          error = pick(random, errorTexts(pick(random, flow.connectors)));
        }
        const finished = status === "success" || status === "error";
        runs.push({
          id: `run_${integrationNumber}_${count - n}`,
          integration_id: id,
          status,
          trigger: random() < 0.06 ? "manual" : flow.trigger,
          started_at: iso(startedAt),
          ...(finished ? { finished_at: iso(new Date(startedAt.getTime() + between(random, 4, 300) * 1000)) } : {}),
          ...(error ? { error } : {}),
        });
      }

      // Some long-failing or long-silent ones were disabled by someone, with a reason.
      if (integrationNumber !== 1 && ((profile === "silent" && random() < 0.45) || (profile === "failing" && random() < 0.3) || random() < 0.02)) {
        const after = profile === "silent" ? lastRunAt.getTime() : now.getTime() - between(random, 2, 10) * DAY;
        disabled.push({
          id,
          at: new Date(Math.max(after, createdAt.getTime()) + between(random, 1, 48) * HOUR),
          by: DISABLERS[configuration.groupId] ?? "admin@example.com",
          reason: pick(random, DISABLE_REASONS),
        });
      }
    }
  }

  // A disabled integration stops running: drop the runs after it was disabled.
  const disabledAt = new Map(disabled.map((entry) => [entry.id, entry.at.getTime()]));
  const keptRuns = runs.filter((run) => {
    const at = disabledAt.get(run.integration_id);
    return at === undefined || new Date(run.started_at).getTime() < at;
  });

  const document: ImportInput = {
    ...catalog(),
    integrations,
    runs: keptRuns,
    connector_auths: auths,
    operators: OPERATORS.map((operator) => ({ ...operator })),
    grants: [
      { operator: "maria.garcia@example.com", permission: "manage", group_id: "g_acme" },
      { operator: "tom.becker@example.com", permission: "run", group_id: "g_northwind" },
      { operator: "tom.becker@example.com", permission: "view", group_id: "g_globex" },
      { operator: "priya.shah@example.com", permission: "view", group_id: "p_initech" },
      { operator: "priya.shah@example.com", permission: "run", group_id: "p_umbrella" },
      { operator: "priya.shah@example.com", permission: "manage", group_id: "p_hooli" },
      { operator: "li.wei@example.com", permission: "view", group_id: null },
      { slack_usergroup: "S0ONCALL", permission: "run", group_id: null },
      { slack_usergroup: "S0SUPPORT", permission: "view", group_id: "g_globex" },
    ],
    slack_links: [
      { slack_user_id: "U0ADA", email: "admin@example.com" },
      { slack_user_id: "U0MARIA", email: "maria.garcia@example.com" },
      { slack_user_id: "U0PRIYA", email: "priya.shah@example.com" },
    ],
  };
  return { document, disabled };
}

/** What seedDemo wrote. */
interface DemoSeedResult {
  counts: ImportCounts;
  disabled: number;
}

/**
 * Loads believable demo data: groups and partners, configurations of both sharing levels, about 200
 * integrations with runs (successes, error streaks, long silences, never run), connector auths, some
 * integrations disabled with who and why, an admin (admin@example.com) and members with grants.
 * Deterministic for one `now`; loading it twice changes nothing.
 */
export async function seedDemo(db: Database, options: { now: Date; timeZone: string }): Promise<DemoSeedResult> {
  const { document, disabled } = demoDocument(options.now);
  return db.sequelize.transaction(async (transaction) => {
    // Ones disabled by an earlier load stay disabled (with their who and why) instead of being re-enabled by the import.
    const alreadyDisabled = new Set(
      (await db.models.Integration.findAll({ where: { id: { [Op.in]: disabled.map((entry) => entry.id) }, status: "disabled" }, attributes: ["id"], transaction })).map((row) => row.id),
    );
    for (const integration of document.integrations ?? []) if (alreadyDisabled.has(integration.id)) integration.status = "disabled";
    const counts = await importData(db, document, { now: options.now, timeZone: options.timeZone, actor: { kind: "job", job: "seed" }, transaction });
    let changed = 0;
    for (const entry of disabled) {
      const integration = await db.models.Integration.findByPk(entry.id, { transaction, attributes: ["id", "status"] });
      if (!integration || integration.status === "disabled") continue;
      const operator = await db.models.Operator.findOne({ where: { email: entry.by }, transaction });
      const actor: Actor = operator ? await operatorActorIn(db, operator.id, transaction) : { kind: "job", job: "seed" };
      await setIntegrationStatus(db, { integrationId: entry.id, status: "disabled", actor, reason: entry.reason, at: entry.at }, transaction);
      changed += 1;
    }
    return { counts, disabled: changed };
  });
}

/** An operator's actor, read inside a transaction (SQLite has one connection: reads outside it would wait). */
async function operatorActorIn(db: Database, operatorId: number, transaction: Transaction): Promise<Actor> {
  const operator = (await db.models.Operator.findByPk(operatorId, { transaction }))!;
  const grants = await db.models.Grant.findAll({ where: { operatorId }, transaction });
  return {
    kind: "operator" as const,
    operatorId,
    email: operator.email,
    name: operator.name,
    role: operator.role,
    grants: grants.map((grant) => ({ permission: grant.permission, groupId: grant.groupId })),
  };
}

/** Loads the demo data when the database holds no integration and no group; true when it did. */
export async function seedDemoIfEmpty(runtime: Runtime): Promise<boolean> {
  const { db, config } = runtime;
  // Operators may already exist (ADMIN_EMAILS is applied first): they do not make the database "not empty".
  const [integrations, groups] = await Promise.all([db.models.Integration.count(), db.models.Group.count()]);
  if (integrations > 0 || groups > 0) return false;
  await seedDemo(db, { now: runtime.clock.now(), timeZone: config.timeZone });
  // The demo's operator rows must not demote anyone ADMIN_EMAILS names.
  await ensureAdmins(db, config.adminEmails);
  return true;
}

/** True when the database holds no integration and no group (operators alone do not count). */
export async function databaseIsEmpty(db: Database): Promise<boolean> {
  const [integrations, groups] = await Promise.all([db.models.Integration.count(), db.models.Group.count()]);
  return integrations === 0 && groups === 0;
}

// ---------------------------------------------------------------------------------------------
// Scale data
// ---------------------------------------------------------------------------------------------

/** Progress of seedScale, reported after each batch. */
interface ScaleProgress {
  integrations: number;
  runs: number;
  /** Integrations to reach. */
  total: number;
}

/** How much scale data to build. */
interface ScaleOptions {
  /** Scale integrations to have in total (ids int_s0000001…); ones already there are kept. */
  integrations: number;
  runsPerIntegration: number;
  now: Date;
  timeZone?: string;
  /** Integrations written per transaction. */
  batchSize?: number;
  onProgress?: (progress: ScaleProgress) => void;
  /** SQLite: drop the flow_runs indexes for the load and rebuild them after (default: when adding 200k runs or more). */
  rebuildIndexes?: boolean;
}

/** What seedScale wrote. */
interface ScaleResult {
  integrations: number;
  runs: number;
  /** Scale integrations that were already there. */
  existing: number;
}

/** Prefix of scale integration ids, so scale data never collides with the demo or an import. */
const SCALE_PREFIX = "int_s";

/** Columns of the flow_runs rows seedScale writes, in order. */
const RUN_COLUMNS = ["id", "integration_id", "status", "trigger", "started_at", "finished_at", "error", "created_at", "updated_at"] as const;
/** Columns of the integrations rows seedScale writes, in order. */
const INTEGRATION_COLUMNS = [
  "id", "name", "flow_id", "configuration_id", "group_id", "sharing_level", "activation_key", "embed_user_id", "embed_account_id",
  "embed_user_name", "embed_account_name", "status", "latest_run_id", "latest_run_status", "latest_run_at", "latest_run_error",
  "last_success_at", "failures_in_row", "failing_since", "activity_at", "created_at", "updated_at",
] as const;

type Cell = string | number | null;

/** A timestamp literal both SQLite (as Sequelize stores it) and PostgreSQL read: `2026-11-20 12:00:00.000 +00:00`. */
function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").replace("Z", "")} +00:00`;
}

/** One SQL literal. Values are generated here, but quoting stays correct for any text. */
function literal(value: Cell): string {
  if (value === null) return "NULL";
  if (typeof value === "number") return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Inserts rows with multi-row INSERT statements written here: Sequelize's bulk insert spends most of its
 * time formatting dates and building model-shaped objects, which dominates at millions of rows.
 */
async function insertRows(db: Database, table: string, columns: readonly string[], rows: Cell[][], transaction: Transaction): Promise<void> {
  const head = `INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(", ")}) VALUES `;
  for (let i = 0; i < rows.length; i += 2000) {
    const values = rows.slice(i, i + 2000).map((row) => `(${row.map(literal).join(",")})`);
    await db.sequelize.query(head + values.join(","), { transaction });
  }
}

/**
 * Builds scale data with bulk inserts: `integrations` integrations with `runsPerIntegration` runs each,
 * in batches of one transaction, the latest-run fields computed on the integration rows directly (no
 * per-run updates). The catalog (groups, configurations, flows) is upserted first. Re-running tops up
 * to the number asked for.
 */
export async function seedScale(db: Database, options: ScaleOptions): Promise<ScaleResult> {
  const total = Math.max(0, Math.floor(options.integrations));
  await importData(db, catalog(), { now: options.now, timeZone: options.timeZone ?? "UTC", actor: { kind: "job", job: "seed" } });
  const existing = await db.models.Integration.count({ where: { id: { [Op.like]: `${SCALE_PREFIX}%` } } });
  if (db.dialect === "sqlite") await restoreRunIndexes(db, INITIAL_RUN_INDEXES);
  // Sorting once beats millions of random inserts into the started-at index: drop it for a big load, rebuild after.
  const bigLoad = db.dialect === "sqlite" && (options.rebuildIndexes ?? (total - existing) * options.runsPerIntegration >= 200_000);
  const dropped = bigLoad ? await dropRunIndexes(db) : [];
  try {
    const written = await writeScaleBatches(db, options, existing, total);
    return { ...written, existing };
  } finally {
    await restoreRunIndexes(db, dropped);
  }
}

/** Writes scale integrations existing+1…total with their runs, one transaction per batch. */
async function writeScaleBatches(db: Database, options: ScaleOptions, existing: number, total: number): Promise<{ integrations: number; runs: number }> {
  const { runsPerIntegration } = options;
  // Big transactions: each commit rewrites the index pages it touched, so fewer commits write far less.
  const batchSize = options.batchSize ?? Math.max(500, Math.floor(250_000 / Math.max(1, runsPerIntegration)));
  let integrations = 0;
  let runs = 0;
  for (let start = existing + 1; start <= total; start += batchSize) {
    const end = Math.min(total, start + batchSize - 1);
    const integrationRows: Cell[][] = [];
    const runRows: Cell[][] = [];
    for (let n = start; n <= end; n++) integrationRows.push(scaleIntegration(n, runsPerIntegration, options.now.getTime(), runRows));
    await db.sequelize.transaction(async (transaction) => {
      // Each SQLite transaction gets a connection of its own: give it a large page cache and a memory map,
      // so the growing indexes are not read back page by page for every batch.
      if (db.dialect === "sqlite") {
        await db.sequelize.query("PRAGMA cache_size = -262144", { transaction });
        await db.sequelize.query("PRAGMA mmap_size = 4294967296", { transaction });
      }
      await insertRows(db, "integrations", INTEGRATION_COLUMNS, integrationRows, transaction);
      await insertRows(db, "flow_runs", RUN_COLUMNS, runRows, transaction);
      await applyRunDays(db, runRows.map(runDayOf), transaction);
    });
    integrations += integrationRows.length;
    runs += runRows.length;
    options.onProgress?.({ integrations: existing + integrations, runs, total });
  }
  return { integrations, runs };
}

/** A seeded run (a row of RUN_COLUMNS) as it counts in the per-day roll-up. */
function runDayOf(row: Cell[]): RunDayChange {
  return { integrationId: String(row[1]), startedAt: new Date(String(row[4])), runs: 1, errors: row[2] === "error" ? 1 : 0 };
}

/** The flow_runs indexes of the initial schema, restored here should a big load have been interrupted. */
const INITIAL_RUN_INDEXES = [
  'CREATE INDEX `flow_runs_integration_started` ON `flow_runs` (`integration_id`, `started_at`)',
  'CREATE INDEX `flow_runs_started` ON `flow_runs` (`started_at`)',
];

/** Drops the secondary indexes of flow_runs (SQLite), returning the statements that recreate them. */
async function dropRunIndexes(db: Database): Promise<string[]> {
  const [indexes] = (await db.sequelize.query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flow_runs' AND sql IS NOT NULL")) as [Array<{ name: string; sql: string }>, unknown];
  for (const index of indexes) await db.sequelize.query(`DROP INDEX "${index.name}"`);
  return indexes.map((index) => index.sql);
}

/** Recreates indexes from their CREATE statements, skipping those that exist. */
async function restoreRunIndexes(db: Database, statements: string[]): Promise<void> {
  for (const sql of statements) await db.sequelize.query(sql.replace(/^CREATE (UNIQUE )?INDEX (IF NOT EXISTS )?/i, "CREATE $1INDEX IF NOT EXISTS "));
}

/**
 * One scale integration as a row of INTEGRATION_COLUMNS, its runs appended to `runRows` (oldest first),
 * and its latest-run fields computed from those runs.
 */
function scaleIntegration(n: number, runsPerIntegration: number, now: number, runRows: Cell[][]): Cell[] {
  const random = seededRandom(n * 2654435761);
  const configuration = CONFIGURATIONS[n % CONFIGURATIONS.length]!;
  const flowId = configuration.flows[Math.floor(n / CONFIGURATIONS.length) % configuration.flows.length];
  const flow = FLOWS.find((candidate) => candidate.id === flowId)!;
  const padded = String(n).padStart(7, "0");
  // Zero-padded ids arrive in index order, so the primary key and (integration, started) indexes only append.
  const id = `${SCALE_PREFIX}${padded}`;
  const userId = `su_${n}`;
  const accountId = `sa_${n}`;
  const roll = random();
  const profile: Profile = roll < 0.05 ? "silent" : roll < 0.12 ? "failing" : "healthy";
  const cadence = flow.trigger === "scheduler" ? DAY : 12 * HOUR;
  const lastRunAt = now - (profile === "silent" ? between(random, 41, 120) * DAY : between(random, 1, 600) * MINUTE);
  const createdAt = lastRunAt - runsPerIntegration * cadence - between(random, 1, 30) * DAY;
  const streak = profile === "failing" ? between(random, 3, 6) : 0;
  const streakError = `401 from ${flow.connectors[0]}: token expired`;
  const otherError = `500 from ${flow.connectors[1]}: internal server error`;
  const width = String(runsPerIntegration).length;

  let latest: { id: string; status: string; startedAt: string; error: string | null } | null = null;
  let lastSuccessAt: string | null = null;
  let failuresInRow = 0;
  let failingSince: string | null = null;
  for (let k = runsPerIntegration - 1; k >= 0; k--) {
    const started = lastRunAt - k * cadence;
    const startedAt = timestamp(started);
    const finishedAt = timestamp(started + between(random, 5, 240) * 1000);
    const failed = k < streak || random() < 0.02;
    const error = failed ? (k < streak ? streakError : otherError) : null;
    if (failed) {
      failuresInRow += 1;
      if (failuresInRow === 1) failingSince = startedAt;
    } else {
      failuresInRow = 0;
      failingSince = null;
      lastSuccessAt = finishedAt;
    }
    const runId = `run_s${padded}_${String(runsPerIntegration - k).padStart(width, "0")}`;
    const status = failed ? "error" : "success";
    runRows.push([runId, id, status, flow.trigger, startedAt, finishedAt, error, finishedAt, finishedAt]);
    latest = { id: runId, status, startedAt, error };
  }
  const created = timestamp(createdAt);
  return [
    id, `${flow.name} #${n}`, flow.id, configuration.id, configuration.groupId, configuration.sharingLevel,
    activationKey(configuration.id, flow.id, configuration.sharingLevel, userId, accountId), userId, accountId,
    `Scale User ${n}`, `Scale Account ${n}`, "enabled", latest?.id ?? null, latest?.status ?? null, latest?.startedAt ?? null,
    latest?.error ?? null, lastSuccessAt, failuresInRow, failingSince, latest?.startedAt ?? created, created, timestamp(now),
  ];
}
