import { Op, QueryTypes, type Model, type ModelStatic, type WhereOptions } from "sequelize";
import type { HealthThresholds, HealthVerdict } from "../domain/health.ts";
import type { IntegrationView } from "../reply/views.ts";
import { refreshDueHealth } from "./health.ts";
import { INCIDENT_ID_PATTERN, incidentExists } from "./incidents.ts";
import type { Config } from "../config.ts";
import type { GroupScope } from "../domain/permissions.ts";
import { badInput } from "../errors.ts";
import { afterCursor, encodeCursor } from "./keyset.ts";
import { allOf, anyOf, Binder, bound, column, equals, isIn, type Condition } from "./bound.ts";
import type { Database } from "./database.ts";
import type { EmbedConfiguration, EmbedFlow, Group, Integration, IntegrationStatus, RunStatus, SharingLevel } from "./models/index.ts";
import type { IntegrationRecord } from "./records.ts";
import { plain } from "./models/index.ts";

/** The filters of `list` (and of `export` and `rerun failing`), already parsed. */
export interface IntegrationFilters {
  status?: IntegrationStatus;
  /** A latest-run status, or `none` for never ran. */
  latest?: RunStatus | "none";
  /** A group id or name, as typed. */
  group?: string;
  configurationId?: string;
  accountId?: string;
  userId?: string;
  flowId?: string;
  /** An incident id: its members (every integration that failed in it). */
  incidentId?: string;
  stale?: boolean;
  failing?: boolean;
  overdue?: boolean;
  /** Words each of which must appear in the name or one of the ids. */
  words?: string[];
}

/** The health thresholds at a moment: the `stale`, `failing` and `overdue` filters read kept verdicts, due ones recomputed first. */
export interface HealthRules extends HealthThresholds {
  now: Date;
}

/** The health rules of the configuration at `now`: the one place `stale`, `failing` and `overdue` get their thresholds. */
export function healthRules(config: Pick<Config, "staleAfterDays" | "failingAfterErrors" | "failingErrorRate" | "overdueFactor">, now: Date): HealthRules {
  return { now, staleAfterDays: config.staleAfterDays, failingAfterErrors: config.failingAfterErrors, failingErrorRate: config.failingErrorRate, overdueFactor: config.overdueFactor };
}

/** The verdicts the health filters ask for. */
function healthFilter(filters: IntegrationFilters): HealthVerdict[] {
  return (["failing", "stale", "overdue"] as const).filter((verdict) => filters[verdict]);
}

/** One integration with every column operators see. */
export interface IntegrationRow extends IntegrationView {
  flowId: string;
  groupId: string;
  triggerUrl: string | null;
  activityAt: Date;
}

/** A page of integrations and the cursor of the next one. */
interface IntegrationPage {
  rows: IntegrationRow[];
  next?: string;
}

/** The where clause that confines a query to a permission scope (values from grants, written into the statement). */
export function scopeWhere(scope: GroupScope): WhereOptions {
  return scope.all ? {} : { groupId: { [Op.in]: scope.groupIds } };
}

/** The condition that confines a model with a `groupId` to a permission scope, its group ids bound. */
export function scopeCondition(model: ModelStatic<Model>, scope: GroupScope): Condition {
  return scope.all ? allOf([]) : isIn(model, "groupId", scope.groupIds);
}

/** Resolves `group:ID|NAME` to group ids (an id, or every group of that name, case-insensitive). */
async function resolveGroup(db: Database, value: string): Promise<string[]> {
  const model = db.models.Group;
  const byId = await model.findOne({ ...bound(db, equals(model, "id", value)), attributes: ["id"] });
  if (byId) return [byId.id];
  const byName = await model.findAll({ ...bound(db, (binder) => binder.like(column(model, "name"), escapeLike(value))), attributes: ["id"] });
  if (byName.length === 0) throw badInput(`No group or partner with id or name \`${value}\`.`);
  return byName.map((group) => group.id);
}

/** The condition of the integration filters within a scope; every value in it is bound. */
async function integrationCondition(db: Database, scope: GroupScope, filters: IntegrationFilters, rules: HealthRules): Promise<Condition> {
  const model = db.models.Integration;
  const and: Condition[] = [scopeCondition(model, scope)];
  if (filters.status) and.push(equals(model, "status", filters.status));
  if (filters.latest) and.push(equals(model, "latestRunStatus", filters.latest === "none" ? null : filters.latest));
  if (filters.group) and.push(isIn(model, "groupId", await resolveGroup(db, filters.group)));
  if (filters.configurationId) and.push(equals(model, "configurationId", filters.configurationId));
  if (filters.accountId) and.push(equals(model, "embedAccountId", filters.accountId));
  if (filters.userId) and.push(equals(model, "embedUserId", filters.userId));
  if (filters.flowId) and.push(equals(model, "flowId", filters.flowId));
  const incidentId = filters.incidentId;
  if (incidentId !== undefined) {
    if (!INCIDENT_ID_PATTERN.test(incidentId)) throw badInput(`\`${incidentId}\` is not an incident id: they read \`inc_\` and ten hex digits (see \`incidents\`).`);
    if (!(await incidentExists(db, incidentId))) throw badInput(`No incident \`${incidentId}\`.`);
    and.push((binder) => `${column(model, "id")} IN (SELECT integration_id FROM incident_members WHERE incident_id = ${binder.value(incidentId)})`);
  }
  // Each health word is one kept verdict, for enabled integrations only; two words ask for both (neither matches).
  for (const verdict of healthFilter(filters)) and.push(equals(model, "status", "enabled"), equals(model, "health", verdict));
  if (healthFilter(filters).length) await refreshDueHealth(db, rules, rules.now);
  for (const word of filters.words ?? []) {
    const pattern = `%${escapeLike(word)}%`;
    and.push(anyOf(SEARCHED.map((attribute): Condition => (binder) => binder.like(column(model, attribute), pattern))));
  }
  return allOf(and);
}

/** The columns a search word is looked for in. */
const SEARCHED = ["name", "id", "embedUserId", "embedAccountId", "embedUserName"] as const;

/** One page of integrations, newest activity first, within the scope. */
export async function listIntegrations(
  db: Database,
  scope: GroupScope,
  filters: IntegrationFilters,
  rules: HealthRules,
  page: { limit: number; after?: string; offset?: number },
): Promise<IntegrationPage> {
  const model = db.models.Integration;
  const condition = await integrationCondition(db, scope, filters, rules);
  const keyset = afterCursor(model, "activityAt", page.after);
  const newestFirst = `${column(model, "activityAt")} DESC, ${column(model, "id")} DESC`;
  const offset = page.after ? 0 : page.offset || 0;
  // Written into the statement (bound, SQLite plans the page slower): whole numbers the code computed, never text.
  if (![page.limit, offset].every((count) => Number.isSafeInteger(count) && count >= 0)) throw new Error(`a page takes whole counts (limit ${page.limit}, offset ${offset})`);
  const binder = new Binder(db.dialect);
  const where = allOf([condition, keyset])(binder);
  // The page's ids first, from the indexes alone; only those rows are then read and joined to their names (joined
  // before the sort, every match would be: a member's failing integrations of three groups, hundreds of them).
  // Written out rather than built by the ORM: the columns a row shows, read as plain rows.
  const found = await db.sequelize.query<PlainIntegration>(
    `SELECT ${pageColumns(model)} FROM integrations AS "${model.name}"
     LEFT JOIN embed_flows AS flow ON flow.id = "${model.name}".flow_id
     LEFT JOIN embed_configurations AS configuration ON configuration.id = "${model.name}".configuration_id
     LEFT JOIN "groups" AS grp ON grp.id = "${model.name}".group_id
     WHERE "${model.name}".id IN (SELECT "${model.name}".id FROM integrations AS "${model.name}" WHERE ${where}
       ORDER BY ${newestFirst} LIMIT ${page.limit + 1}${offset ? ` OFFSET ${offset}` : ""})
     ORDER BY ${newestFirst}`,
    { type: QueryTypes.SELECT, bind: binder.values },
  );
  const more = found.length > page.limit;
  const rows = found.slice(0, page.limit).map(pageRow);
  const last = rows[rows.length - 1];
  return { rows, next: more && last ? encodeCursor(last.activityAt, last.id) : undefined };
}

/** The integration's fields a listed row shows. */
const PAGE_FIELDS = [
  "id", "name", "status", "latestRunStatus", "latestRunAt", "latestRunError", "lastSuccessAt", "failuresInRow", "flowId", "configurationId",
  "groupId", "embedUserId", "embedAccountId", "embedUserName", "sharingLevel", "triggerUrl", "statusChangedAt", "statusChangedBy",
  "disabledReason", "activityAt", "createdAt", "health", "healthReason",
] as const;

/** The select list of a page: those fields under their own names, and the names joined to them. */
function pageColumns(model: ModelStatic<Model>): string {
  const names = ['flow.name AS "flowName"', 'flow.url AS "flowUrl"', 'configuration.name AS "configurationName"', 'grp.name AS "groupName"', 'grp.kind AS "groupKind"'];
  return [...PAGE_FIELDS.map((field) => `${column(model, field)} AS "${field}"`), ...names].join(", ");
}

/** A listed integration as read: its joined names beside its columns (null when the join found nothing); SQLite gives dates as text. */
type PlainIntegration = Omit<IntegrationDates, DateField> & { [K in DateField]: Date | string | null } & {
  flowName: string | null;
  flowUrl: string | null;
  configurationName: string | null;
  groupName: string | null;
  groupKind: Group["kind"] | null;
};
type DateField = "latestRunAt" | "lastSuccessAt" | "statusChangedAt" | "activityAt" | "createdAt";
type IntegrationDates = Parameters<typeof toRow>[0];

function asDate(value: Date | string | null): Date | null {
  return value === null ? null : value instanceof Date ? value : new Date(value);
}

/** A page row: dates as dates, a count as a number (PostgreSQL may give it as text), the joined names when found. */
function pageRow(plain: PlainIntegration): IntegrationRow {
  const dated: IntegrationDates = {
    ...plain,
    failuresInRow: Number(plain.failuresInRow),
    latestRunAt: asDate(plain.latestRunAt),
    lastSuccessAt: asDate(plain.lastSuccessAt),
    statusChangedAt: asDate(plain.statusChangedAt),
    activityAt: asDate(plain.activityAt)!,
    createdAt: asDate(plain.createdAt)!,
  };
  return toRow(
    dated,
    plain.flowName === null ? undefined : { name: plain.flowName, url: plain.flowUrl },
    plain.configurationName === null ? undefined : { name: plain.configurationName },
    plain.groupName === null ? undefined : { name: plain.groupName, kind: plain.groupKind ?? "group" },
  );
}

/** Adds flow, configuration and group to integrations loaded without them, with three queries whatever their number. */
export async function describeIntegrations(db: Database, integrations: IntegrationRecord[]): Promise<IntegrationRow[]> {
  if (integrations.length === 0) return [];
  const unique = (values: string[]) => [...new Set(values)];
  const [flows, configurations, groups] = await Promise.all([
    db.models.EmbedFlow.findAll({ where: { id: unique(integrations.map((i) => i.flowId)) }, attributes: ["id", "name", "url"] }),
    db.models.EmbedConfiguration.findAll({ where: { id: unique(integrations.map((i) => i.configurationId)) }, attributes: ["id", "name"] }),
    db.models.Group.findAll({ where: { id: unique(integrations.map((i) => i.groupId)) }, attributes: ["id", "name", "kind"] }),
  ]);
  const flowById = new Map(flows.map((flow) => [flow.id, flow]));
  const configurationById = new Map(configurations.map((configuration) => [configuration.id, configuration]));
  const groupById = new Map(groups.map((group) => [group.id, group]));
  return integrations.map((integration) =>
    toRow(integration, flowById.get(integration.flowId), configurationById.get(integration.configurationId), groupById.get(integration.groupId)),
  );
}

/** One integration with its names, as operators see it. */
function toRow(
  integration: Pick<
    Integration,
    | "id" | "name" | "status" | "latestRunStatus" | "latestRunAt" | "latestRunError" | "lastSuccessAt" | "failuresInRow" | "flowId"
    | "configurationId" | "groupId" | "embedUserId" | "embedAccountId" | "embedUserName" | "sharingLevel" | "triggerUrl"
    | "statusChangedAt" | "statusChangedBy" | "disabledReason" | "activityAt" | "createdAt" | "health" | "healthReason"
  >,
  flow: Pick<EmbedFlow, "name" | "url"> | undefined,
  configuration: Pick<EmbedConfiguration, "name"> | undefined,
  group: Pick<Group, "name" | "kind"> | undefined,
): IntegrationRow {
  return {
    id: integration.id,
    name: integration.name,
    status: integration.status,
    latestRunStatus: integration.latestRunStatus,
    latestRunAt: integration.latestRunAt,
    latestRunError: integration.latestRunError,
    lastSuccessAt: integration.lastSuccessAt,
    failuresInRow: integration.failuresInRow,
    flowId: integration.flowId,
    flowName: flow?.name ?? integration.flowId,
    flowUrl: flow?.url ?? null,
    configurationId: integration.configurationId,
    configurationName: configuration?.name ?? integration.configurationId,
    groupId: integration.groupId,
    groupName: group?.name ?? integration.groupId,
    groupKind: group?.kind ?? "group",
    embedUserId: integration.embedUserId,
    embedAccountId: integration.embedAccountId,
    embedUserName: integration.embedUserName,
    sharingLevel: integration.sharingLevel,
    triggerUrl: integration.triggerUrl,
    statusChangedAt: integration.statusChangedAt,
    statusChangedBy: integration.statusChangedBy,
    disabledReason: integration.disabledReason,
    activityAt: integration.activityAt,
    createdAt: integration.createdAt,
    health: integration.health ?? null,
    healthReason: integration.healthReason ?? null,
  };
}

/** Escapes LIKE's wildcards (`%`, `_`) and its escape character (`\`) so a value matches literally; see Binder.like. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** One integration by id, if it exists. */
export async function findIntegration(db: Database, id: string): Promise<IntegrationRecord | null> {
  const model = db.models.Integration;
  const integration = await model.findOne(bound(db, equals(model, "id", id)));
  return integration ? integration.get({ plain: true }) : null;
}

/** Integrations described per query, to keep IN lists short. */
const DESCRIBE_CHUNK = 1000;

/** Integrations by id; ids that name none are left out. */
export async function integrationsByIds(db: Database, ids: string[]): Promise<IntegrationRecord[]> {
  const out: IntegrationRecord[] = [];
  for (let i = 0; i < ids.length; i += DESCRIBE_CHUNK) {
    out.push(...(await db.models.Integration.findAll({ where: { id: { [Op.in]: ids.slice(i, i + DESCRIBE_CHUNK) } } })).map(plain));
  }
  return out;
}

/** Integrations by id with every column operators see, keyed by id; ids that name none are left out. */
export async function describeIntegrationsByIds(db: Database, ids: string[]): Promise<Map<string, IntegrationRow>> {
  const out = new Map<string, IntegrationRow>();
  const integrations = await integrationsByIds(db, ids);
  for (let i = 0; i < integrations.length; i += DESCRIBE_CHUNK) {
    for (const row of await describeIntegrations(db, integrations.slice(i, i + DESCRIBE_CHUNK))) out.set(row.id, row);
  }
  return out;
}

/**
 * Enabled integrations whose kept verdict is failing (any rule; latest run after `since`) or overdue (overdue since
 * after `since`), oldest episode first: the candidates for a failure alert. Due verdicts are recomputed first.
 */
export async function newlyUnhealthy(db: Database, rules: HealthRules, since: Date): Promise<IntegrationRecord[]> {
  await refreshDueHealth(db, rules, rules.now);
  const found = await db.models.Integration.findAll({
    where: {
      status: "enabled",
      healthSince: { [Op.ne]: null },
      [Op.or]: [
        { health: "failing", latestRunAt: { [Op.gte]: since } },
        { health: "overdue", healthSince: { [Op.gte]: since } },
      ],
    },
    order: [["healthSince", "ASC"], ["id", "ASC"]],
  });
  return found.map(plain);
}

/** The names of integrations by id; ids that name none are left out. */
export async function integrationNames(db: Database, ids: string[]): Promise<Map<string, string>> {
  const found = await db.models.Integration.findAll({ where: { id: { [Op.in]: [...new Set(ids)] } }, attributes: ["id", "name"] });
  return new Map(found.map((integration) => [integration.id, integration.name]));
}

/** One integration a bulk action could take, with what decides whether it does. */
interface BulkCandidate {
  id: string;
  name: string;
  groupId: string;
  status: "enabled" | "disabled";
  disabledReason: string | null;
}

/** The integrations of a `list` result (within the view scope and the filters), oldest id first; plain rows. */
export async function bulkCandidates(db: Database, viewScope: GroupScope, filters: IntegrationFilters, rules: HealthRules): Promise<BulkCandidate[]> {
  const condition = await integrationCondition(db, viewScope, filters, rules);
  const rows = await db.models.Integration.findAll({ ...bound(db, condition), attributes: ["id", "name", "groupId", "status", "disabledReason"], order: [["id", "ASC"]], raw: true });
  return rows.map((row) => ({ id: row.id, name: row.name, groupId: row.groupId, status: row.status, disabledReason: row.disabledReason ?? null }));
}
