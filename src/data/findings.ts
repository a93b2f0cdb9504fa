import { Op, QueryTypes, type Transaction } from "sequelize";
import { findingKind, findingReason, findingState, type FindingKind, type StoredFinding } from "../domain/housekeeping.ts";
import type { Actor } from "../domain/permissions.ts";
import type { Doc } from "../reply/document.ts";
import { recordAudit } from "./audit.ts";
import type { Database } from "./database.ts";
import { refreshDueHealth, scanHousekeeping, toDate } from "./health.ts";
import type { HealthThresholds } from "../domain/health.ts";
import { setIntegrationStatus } from "./integration-status.ts";
import { enqueuePost } from "./outbox.ts";

/** One remembered finding not yet resolved, with its integration's status, as the report job reads it. */
interface UnresolvedFinding extends StoredFinding {
  integrationId: string;
  integrationStatus: string | null;
}

/** The findings not yet resolved (recovered or disabled), with their integration's status. */
async function unresolvedFindings(db: Database, transaction?: Transaction): Promise<UnresolvedFinding[]> {
  const rows = await db.sequelize.query<Record<string, unknown>>(
    `SELECT f.integration_id, f.kind, f.first_reported_at, f.last_reported_at, f.snoozed_until, f.snoozed_by, i.status
     FROM housekeeping_findings f LEFT JOIN integrations i ON i.id = f.integration_id
     WHERE f.resolved_at IS NULL`,
    { type: QueryTypes.SELECT, transaction },
  );
  return rows.map((row) => ({
    integrationId: String(row.integration_id),
    kind: row.kind as FindingKind,
    firstReportedAt: toDate(row.first_reported_at)!,
    lastReportedAt: toDate(row.last_reported_at)!,
    snoozedUntil: toDate(row.snoozed_until),
    snoozedBy: (row.snoozed_by as string | null) ?? null,
    resolvedAt: null,
    integrationStatus: (row.status as string | null) ?? null,
  }));
}

/** A finding of this report, as it is remembered. */
interface ReportedFinding {
  integrationId: string;
  kind: FindingKind;
  reason: string;
}

/** Ids per statement, to keep IN lists and multi-row inserts short. */
const CHUNK = 1000;

/**
 * Remembers one report's findings in one transaction: `fresh` ones start afresh (first and last reported now,
 * snooze and resolution cleared), `seen` ones get their last-reported time, and `gone` ones are resolved as
 * disabled or recovered; inside `outer` when given (the report queues its messages in the same transaction).
 */
async function rememberFindings(
  db: Database,
  findings: { fresh: ReportedFinding[]; seen: ReportedFinding[]; disabled: string[]; recovered: string[] },
  now: Date,
  outer?: Transaction,
): Promise<void> {
  const row = (finding: ReportedFinding) => ({
    ...finding,
    firstReportedAt: now,
    lastReportedAt: now,
    snoozedUntil: null,
    snoozedBy: null,
    resolvedAt: null,
    resolution: null,
    createdAt: now,
    updatedAt: now,
  });
  const work = async (transaction: Transaction) => {
    for (let i = 0; i < findings.fresh.length; i += CHUNK) {
      await db.models.HousekeepingFinding.bulkCreate(findings.fresh.slice(i, i + CHUNK).map(row), {
        transaction,
        updateOnDuplicate: ["kind", "reason", "firstReportedAt", "lastReportedAt", "snoozedUntil", "snoozedBy", "resolvedAt", "resolution", "updatedAt"],
      });
    }
    for (let i = 0; i < findings.seen.length; i += CHUNK) {
      await db.models.HousekeepingFinding.bulkCreate(findings.seen.slice(i, i + CHUNK).map(row), {
        transaction,
        updateOnDuplicate: ["kind", "reason", "lastReportedAt", "updatedAt"],
      });
    }
    for (const [ids, resolution] of [[findings.disabled, "disabled"], [findings.recovered, "recovered"]] as const) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await db.models.HousekeepingFinding.update(
          { resolvedAt: now, resolution, updatedAt: now },
          { where: { integrationId: { [Op.in]: ids.slice(i, i + CHUNK) }, resolvedAt: null }, transaction },
        );
      }
    }
  };
  await (outer ? work(outer) : db.sequelize.transaction(work));
}

/** Marks an integration's finding resolved because the integration was disabled (inside `transaction` when given). */
async function resolveFindingAsDisabled(db: Database, integrationId: string, now: Date, transaction?: Transaction): Promise<void> {
  await db.models.HousekeepingFinding.update({ resolvedAt: now, resolution: "disabled", updatedAt: now }, { where: { integrationId }, transaction });
}

/** A snooze to record: who, on which integration (and its group), until when. */
interface Snooze {
  integrationId: string;
  groupId: string;
  actor: Actor;
  /** The actor's label, stored on the finding. */
  by: string;
  until: Date;
  now: Date;
  rules: HealthThresholds;
  /** The time zone the reason's dates are written in. */
  timeZone: string;
}

/**
 * Snoozes an integration's finding, audited, in one transaction, when the integration is failing or stale now;
 * returns false (changing nothing) when it is neither.
 */
export async function snoozeFinding(db: Database, snooze: Snooze): Promise<boolean> {
  const { integrationId, now } = snooze;
  await refreshDueHealth(db, snooze.rules, now);
  return db.sequelize.transaction(async (transaction) => {
    const [health] = await scanHousekeeping(db, { scope: { all: true }, now, rules: snooze.rules, integrationIds: [integrationId], overdue: true }, transaction);
    if (!health) return false;
    const open = findingState(health.stored, now) !== "new";
    await db.models.HousekeepingFinding.upsert(
      {
        integrationId,
        kind: findingKind(health),
        reason: findingReason(health, now, snooze.timeZone),
        // A finding first seen by `stale` starts its life here; a remembered one keeps its first report.
        firstReportedAt: open ? health.stored!.firstReportedAt : now,
        lastReportedAt: open ? health.stored!.lastReportedAt : now,
        snoozedUntil: snooze.until,
        snoozedBy: snooze.by,
        resolvedAt: null,
        resolution: null,
      },
      { transaction },
    );
    await recordAudit(db, { actor: snooze.actor, action: "snooze", targetId: integrationId, groupId: snooze.groupId, outcome: "ok", detail: `until ${snooze.until.toISOString()}`, at: now }, transaction);
    return true;
  });
}

/** A message of the report, queued in the outbox under its firing's key. */
interface ReportMessage {
  key: string;
  channel: string;
  doc: Doc;
  /** Posted in the thread of the message queued under this key. */
  threadKey?: string;
}

/** What one firing of the housekeeping report writes. */
interface ReportCommit {
  /** Every finding of this report (snoozed ones included): new ones start afresh, reported ones are seen again. */
  findings: Array<ReportedFinding & { state: "new" | "reported" | "snoozed" }>;
  /** The findings AUTO_DISABLE_AFTER_DAYS disables now, with the reason recorded on each. */
  autoDisable: Array<{ integrationId: string; reason: string }>;
  actor: Actor;
  now: Date;
  /** The messages to queue, built once it is known which integrations were disabled (another writer may have been first). */
  messages(disabled: ReadonlySet<string>): ReportMessage[];
}

/**
 * Writes one firing of the housekeeping report in one transaction: remembers its findings (open findings no longer
 * present resolved as recovered or disabled), disables the due ones (audited, their findings resolved), and queues
 * its messages in the outbox. A firing run again (a takeover, an overlap) finds its keys queued and queues nothing twice.
 */
export async function commitReport(db: Database, report: ReportCommit): Promise<{ resolved: number; disabled: string[]; queued: number }> {
  const { now } = report;
  return db.sequelize.transaction(async (transaction) => {
    const present = new Set(report.findings.map((finding) => finding.integrationId));
    const gone = (await unresolvedFindings(db, transaction)).filter((finding) => !present.has(finding.integrationId));
    const reported = ({ integrationId, kind, reason }: ReportedFinding) => ({ integrationId, kind, reason });
    await rememberFindings(
      db,
      {
        fresh: report.findings.filter((finding) => finding.state === "new").map(reported),
        seen: report.findings.filter((finding) => finding.state === "reported").map(reported),
        disabled: gone.filter((finding) => finding.integrationStatus !== "enabled").map((finding) => finding.integrationId),
        recovered: gone.filter((finding) => finding.integrationStatus === "enabled").map((finding) => finding.integrationId),
      },
      now,
      transaction,
    );
    const disabled: string[] = [];
    for (const due of report.autoDisable) {
      const change = await setIntegrationStatus(db, { integrationId: due.integrationId, status: "disabled", actor: report.actor, reason: due.reason, at: now }, transaction);
      if (!change.changed) continue;
      await resolveFindingAsDisabled(db, due.integrationId, now, transaction);
      disabled.push(due.integrationId);
    }
    const messages = report.messages(new Set(disabled));
    for (const message of messages) await enqueuePost(db, transaction, { ...message, at: now });
    return { resolved: gone.length, disabled, queued: messages.length };
  });
}
