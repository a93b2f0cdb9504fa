import { randomBytes } from "node:crypto";
import { QueryTypes, type Transaction } from "sequelize";
import type { FailingMember, IncidentPlan, OpenIncidentFacts } from "../domain/incidents.ts";
import type { GroupScope } from "../domain/permissions.ts";
import type { Doc } from "../reply/document.ts";
import type { Database } from "./database.ts";
import type { HealthThresholds } from "../domain/health.ts";
import { refreshDueHealth, toDate } from "./health.ts";
import { enqueuePost, enqueueUpdate, queuedKeys } from "./outbox.ts";

/** The health thresholds, at a moment: due verdicts are recomputed before "failing" is read. */
type FailingRules = HealthThresholds & { now: Date };

// The only door to the incidents and incident_members tables.

type Row = Record<string, unknown>;

/** An incident as stored. */
interface IncidentRecord {
  id: string;
  flowId: string;
  signature: string;
  sampleError: string | null;
  state: "open" | "resolved";
  since: Date;
  openedAt: Date;
  resolvedAt: Date | null;
  channel: string | null;
  ts: string | null;
  /** What its posted message shows (a fingerprint), null before it is posted. */
  shown: string | null;
}

/** An incident with its members counted, within a scope, as its message and `incidents` show it. */
export interface IncidentSummary extends IncidentRecord {
  flowName: string;
  flowUrl: string | null;
  /** Members failing with the signature now. */
  failing: number;
  /** Members that stopped failing with it. */
  recovered: number;
  /** Distinct end accounts of the failing members. */
  accounts: number;
  /** The groups of the failing members, most affected first. */
  groups: Array<{ id: string; name: string; kind: "group" | "partner"; failing: number }>;
}

/** Incident ids: `inc_` and 10 hex digits. */
export const INCIDENT_ID_PATTERN = /^inc_[0-9a-f]{10}$/;

/** A new incident id. */
function newIncidentId(): string {
  return `inc_${randomBytes(5).toString("hex")}`;
}

/** The SQL condition for "failing" that incidents read, for the integrations row `alias`: the kept verdict, as `list failing` and the housekeeping report read it. */
function failingCondition(alias: string): string {
  return `${alias}.health = 'failing'`;
}

function incidentRecord(row: Row): IncidentRecord {
  return {
    id: String(row.id),
    flowId: String(row.flow_id),
    signature: String(row.signature),
    sampleError: (row.sample_error as string | null) ?? null,
    state: row.state === "resolved" ? "resolved" : "open",
    since: toDate(row.since)!,
    openedAt: toDate(row.opened_at)!,
    resolvedAt: toDate(row.resolved_at),
    channel: (row.channel as string | null) ?? null,
    ts: (row.ts as string | null) ?? null,
    shown: (row.shown as string | null) ?? null,
  };
}

const INCIDENT_COLUMNS = "inc.id, inc.flow_id, inc.signature, inc.sample_error, inc.state, inc.since, inc.opened_at, inc.resolved_at, inc.channel, inc.ts, inc.shown";

/**
 * The enabled failing integrations an incident may hold: those whose Embed Flow and latest error signature
 * are shared by at least `minAffected` failing integrations, or already have an open incident.
 */
export async function incidentCandidates(db: Database, rules: FailingRules, minAffected: number): Promise<FailingMember[]> {
  await refreshDueHealth(db, rules, rules.now);
  const rows = await db.sequelize.query<Row>(
    `WITH f AS (
       SELECT i.id, i.flow_id, i.latest_error_signature AS signature, i.failing_since FROM integrations i
       WHERE i.latest_error_signature IS NOT NULL AND i.status = 'enabled' AND i.failing_since IS NOT NULL AND ${failingCondition("i")}
     ),
     k AS (
       SELECT flow_id, signature FROM f GROUP BY flow_id, signature HAVING COUNT(*) >= :minAffected
       UNION SELECT flow_id, signature FROM incidents WHERE state = 'open'
     )
     SELECT f.id, f.flow_id, f.signature, f.failing_since FROM f JOIN k ON k.flow_id = f.flow_id AND k.signature = f.signature
     ORDER BY f.flow_id, f.signature, f.failing_since, f.id`,
    { replacements: { minAffected }, type: QueryTypes.SELECT },
  );
  return rows.map((row) => ({ integrationId: String(row.id), flowId: String(row.flow_id), signature: String(row.signature), failingSince: toDate(row.failing_since)! }));
}

/** The open incidents with the members still failing in them. */
export async function openIncidentFacts(db: Database): Promise<OpenIncidentFacts[]> {
  const incidents = await db.sequelize.query<Row>("SELECT id, flow_id, signature FROM incidents WHERE state = 'open' ORDER BY opened_at, id", { type: QueryTypes.SELECT });
  if (incidents.length === 0) return [];
  const members = await db.sequelize.query<Row>(
    "SELECT m.incident_id, m.integration_id FROM incident_members m JOIN incidents inc ON inc.id = m.incident_id WHERE inc.state = 'open' AND m.left_at IS NULL",
    { type: QueryTypes.SELECT },
  );
  const byIncident = new Map<string, string[]>();
  for (const member of members) {
    const list = byIncident.get(String(member.incident_id)) ?? [];
    list.push(String(member.integration_id));
    byIncident.set(String(member.incident_id), list);
  }
  return incidents.map((row) => ({ id: String(row.id), flowId: String(row.flow_id), signature: String(row.signature), activeMemberIds: byIncident.get(String(row.id)) ?? [] }));
}

/** Adds members to an incident, or brings back ones that had left; failing_since is their streak's start. */
async function addMembers(db: Database, incidentId: string, members: FailingMember[], now: Date, transaction: Transaction): Promise<void> {
  for (let i = 0; i < members.length; i += 500) {
    const values = members.slice(i, i + 500).map((member) => `(${[incidentId, member.integrationId, member.failingSince, now].map((value) => db.sequelize.escape(value as string)).join(", ")}, NULL)`);
    await db.sequelize.query(
      `INSERT INTO incident_members (incident_id, integration_id, failing_since, joined_at, left_at) VALUES ${values.join(", ")}
       ON CONFLICT (incident_id, integration_id) DO UPDATE SET left_at = NULL, failing_since = excluded.failing_since`,
      { type: QueryTypes.INSERT, transaction },
    );
  }
}

/** The latest error of one of the integrations: the "one real error" an incident shows beside its signature. */
async function sampleError(db: Database, integrationIds: string[], transaction: Transaction): Promise<string | null> {
  const [row] = await db.sequelize.query<Row>(
    "SELECT latest_run_error FROM integrations WHERE id IN (:ids) AND latest_run_error IS NOT NULL ORDER BY latest_run_at DESC, id LIMIT 1",
    { replacements: { ids: integrationIds.slice(0, 1000) }, type: QueryTypes.SELECT, transaction },
  );
  return (row?.latest_run_error as string | null | undefined) ?? null;
}

/**
 * Applies a plan in one transaction: opens incidents (the unique open (flow, signature) index makes a second
 * writer's insert do nothing, and then it adds no members), adds and lets go of members, resolves incidents
 * (guarded by their state, so a rerun changes nothing twice). Returns the ids of the incidents it opened.
 */
export async function applyIncidentPlan(db: Database, plan: IncidentPlan, now: Date): Promise<string[]> {
  return db.sequelize.transaction(async (transaction) => {
    const opened: string[] = [];
    for (const incident of plan.open) {
      const id = newIncidentId();
      const since = new Date(Math.min(...incident.members.map((member) => member.failingSince.getTime())));
      const sample = await sampleError(db, incident.members.map((member) => member.integrationId), transaction);
      const [, inserted] = (await db.sequelize.query(
        `INSERT INTO incidents (id, flow_id, signature, sample_error, state, since, opened_at, created_at, updated_at)
         VALUES (:id, :flowId, :signature, :sample, 'open', :since, :now, :now, :now)
         ON CONFLICT (flow_id, signature) WHERE state = 'open' DO NOTHING`,
        { replacements: { id, flowId: incident.flowId, signature: incident.signature, sample, since, now }, type: QueryTypes.INSERT, transaction },
      )) as unknown as [unknown, number];
      if (Number(inserted) !== 1) continue;
      await addMembers(db, id, incident.members, now, transaction);
      opened.push(id);
    }
    for (const join of plan.join) {
      await addMembers(db, join.incidentId, join.members, now, transaction);
      const earliest = new Date(Math.min(...join.members.map((member) => member.failingSince.getTime())));
      await db.sequelize.query("UPDATE incidents SET since = :earliest, updated_at = :now WHERE id = :id AND since > :earliest", {
        replacements: { id: join.incidentId, earliest, now },
        transaction,
      });
    }
    for (const leave of plan.leave) {
      await db.sequelize.query("UPDATE incident_members SET left_at = :now WHERE incident_id = :id AND integration_id IN (:ids) AND left_at IS NULL", {
        replacements: { id: leave.incidentId, ids: leave.integrationIds, now },
        transaction,
      });
    }
    if (plan.resolve.length) {
      await db.sequelize.query("UPDATE incident_members SET left_at = :now WHERE incident_id IN (:ids) AND left_at IS NULL", { replacements: { ids: plan.resolve, now }, transaction });
      await db.sequelize.query("UPDATE incidents SET state = 'resolved', resolved_at = :now, updated_at = :now WHERE id IN (:ids) AND state = 'open'", {
        replacements: { ids: plan.resolve, now },
        transaction,
      });
    }
    return opened;
  });
}

/** The incidents whose message may need posting or updating: the open ones, and resolved ones not yet shown as resolved. */
export async function incidentsToShow(db: Database): Promise<IncidentRecord[]> {
  const rows = await db.sequelize.query<Row>(
    `SELECT ${INCIDENT_COLUMNS} FROM incidents inc WHERE inc.state = 'open' OR (inc.state = 'resolved' AND (inc.shown IS NULL OR inc.shown NOT LIKE 'resolved%'))
     ORDER BY inc.opened_at, inc.id`,
    { type: QueryTypes.SELECT },
  );
  return rows.map(incidentRecord);
}

/** The outbox key of an incident's message. */
function incidentPostKey(incidentId: string): string {
  return `incident:${incidentId}:post`;
}

/** What showing an incident's new state queued: its first message, an update of it, nothing (resolved before it was ever posted), or nothing because another firing showed this state first. */
type IncidentShown = "post" | "update" | "quiet" | "taken";

/**
 * Shows an incident's new state (`shown`, a fingerprint of what its message says), in one transaction: records it,
 * guarded by the state this firing saw (`previousShown`), so of two overlapping firings only one goes on; then queues
 * in the outbox the incident's first message (`incident:ID:post`) or an update of it (`incident:ID:update:N`), which
 * supersedes an update of it not sent yet. An incident resolved before any message was queued stays quiet.
 */
export async function showIncident(
  db: Database,
  incident: Pick<IncidentRecord, "id" | "state" | "channel" | "ts" | "shown">,
  show: { shown: string; channel?: string; doc: Doc; at: Date },
): Promise<IncidentShown> {
  return db.sequelize.transaction(async (transaction) => {
    const guard = incident.shown === null ? "shown IS NULL" : "shown = :previous";
    const won = await db.sequelize.query<Row>(`UPDATE incidents SET shown = :shown, updated_at = :now WHERE id = :id AND ${guard} RETURNING id`, {
      replacements: { id: incident.id, shown: show.shown, previous: incident.shown, now: show.at },
      type: QueryTypes.SELECT,
      transaction,
    });
    if (won.length !== 1) return "taken";
    const postKey = incidentPostKey(incident.id);
    const posted = await queuedKeys(db, postKey, transaction);
    if (posted > 0 || (incident.channel && incident.ts)) {
      const key = `incident:${incident.id}:update:${(await queuedKeys(db, `incident:${incident.id}:update:`, transaction)) + 1}`;
      // A message posted before the outbox carried incidents is named by its channel and ts.
      if (posted === 0) await enqueueUpdate(db, transaction, { key, ref: { channel: incident.channel!, ts: incident.ts! }, doc: show.doc, at: show.at });
      else await enqueueUpdate(db, transaction, { key, targetKey: postKey, doc: show.doc, at: show.at });
      return "update";
    }
    // Resolved before anyone was told it began: nothing to say.
    if (incident.state === "resolved") return "quiet";
    if (!show.channel) throw new Error(`incident ${incident.id} has no channel to be posted to`);
    await enqueuePost(db, transaction, { key: postKey, channel: show.channel, doc: show.doc, at: show.at });
    return "post";
  });
}

/**
 * Summaries of incidents (by id, or every open one when `ids` is omitted), counting only members within the
 * scope; an open incident with no failing member in the scope is left out of the open list.
 */
export async function incidentSummaries(db: Database, scope: GroupScope, ids?: string[]): Promise<IncidentSummary[]> {
  if (!scope.all && scope.groupIds.length === 0) return [];
  if (ids && ids.length === 0) return [];
  const replacements: Record<string, unknown> = {};
  if (!scope.all) replacements.groupIds = scope.groupIds;
  if (ids) replacements.ids = ids;
  const inScope = scope.all ? "" : " AND i.group_id IN (:groupIds)";
  const which = ids ? "inc.id IN (:ids)" : "inc.state = 'open'";
  const incidents = await db.sequelize.query<Row>(
    `SELECT ${INCIDENT_COLUMNS}, fl.name AS flow_name, fl.url AS flow_url FROM incidents inc LEFT JOIN embed_flows fl ON fl.id = inc.flow_id
     WHERE ${which} ORDER BY inc.since, inc.id`,
    { replacements, type: QueryTypes.SELECT },
  );
  if (incidents.length === 0) return [];
  replacements.incidentIds = incidents.map((row) => String(row.id));
  const [counts, groups] = await Promise.all([
    db.sequelize.query<Row>(
      `SELECT m.incident_id, SUM(CASE WHEN m.left_at IS NULL THEN 1 ELSE 0 END) AS failing, SUM(CASE WHEN m.left_at IS NULL THEN 0 ELSE 1 END) AS recovered,
         COUNT(DISTINCT CASE WHEN m.left_at IS NULL THEN i.embed_account_id END) AS accounts
       FROM incident_members m JOIN integrations i ON i.id = m.integration_id
       WHERE m.incident_id IN (:incidentIds)${inScope} GROUP BY m.incident_id`,
      { replacements, type: QueryTypes.SELECT },
    ),
    db.sequelize.query<Row>(
      `SELECT m.incident_id, i.group_id, g.name AS group_name, g.kind AS group_kind, COUNT(*) AS failing
       FROM incident_members m JOIN integrations i ON i.id = m.integration_id LEFT JOIN groups g ON g.id = i.group_id
       WHERE m.incident_id IN (:incidentIds) AND m.left_at IS NULL${inScope} GROUP BY m.incident_id, i.group_id, g.name, g.kind`,
      { replacements, type: QueryTypes.SELECT },
    ),
  ]);
  const countById = new Map(counts.map((row) => [String(row.incident_id), row]));
  const groupsById = new Map<string, IncidentSummary["groups"]>();
  for (const row of groups) {
    const list = groupsById.get(String(row.incident_id)) ?? [];
    list.push({ id: String(row.group_id), name: (row.group_name as string | null) ?? String(row.group_id), kind: row.group_kind === "partner" ? "partner" : "group", failing: Number(row.failing) });
    groupsById.set(String(row.incident_id), list);
  }
  const out: IncidentSummary[] = [];
  for (const row of incidents) {
    const id = String(row.id);
    const count = countById.get(id);
    const summary: IncidentSummary = {
      ...incidentRecord(row),
      flowName: (row.flow_name as string | null) ?? String(row.flow_id),
      flowUrl: (row.flow_url as string | null) ?? null,
      failing: Number(count?.failing ?? 0),
      recovered: Number(count?.recovered ?? 0),
      accounts: Number(count?.accounts ?? 0),
      groups: (groupsById.get(id) ?? []).sort((a, b) => b.failing - a.failing || a.name.localeCompare(b.name)),
    };
    // `incidents` shows the open incidents touching the caller's integrations; by id, every one asked for is kept.
    if (!ids && summary.failing === 0) continue;
    out.push(summary);
  }
  return out;
}

/** Of these integrations, those failing in an open incident, with the incident's id. */
export async function openIncidentMembership(db: Database, integrationIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < integrationIds.length; i += 1000) {
    const rows = await db.sequelize.query<Row>(
      `SELECT m.integration_id, m.incident_id FROM incident_members m JOIN incidents inc ON inc.id = m.incident_id
       WHERE inc.state = 'open' AND m.left_at IS NULL AND m.integration_id IN (:ids)`,
      { replacements: { ids: integrationIds.slice(i, i + 1000) }, type: QueryTypes.SELECT },
    );
    for (const row of rows) out.set(String(row.integration_id), String(row.incident_id));
  }
  return out;
}

/** True when an incident with this id exists (open or resolved). */
export async function incidentExists(db: Database, incidentId: string): Promise<boolean> {
  const rows = await db.sequelize.query<Row>("SELECT id FROM incidents WHERE id = $1", { bind: [incidentId], type: QueryTypes.SELECT });
  return rows.length > 0;
}
