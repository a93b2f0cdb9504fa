import { QueryTypes, type Transaction } from "sequelize";
import { findingKind, findingReason, findingState, type FindingKind, type StoredFinding } from "../domain/housekeeping.ts";
import type { Actor } from "../domain/permissions.ts";
import type { Doc } from "../reply/document.ts";
import { recordAudit } from "./audit.ts";
import type { Database } from "./database.ts";
import { refreshDueHealth, scanHousekeeping } from "./health.ts";
import type { HealthThresholds } from "../domain/health.ts";
import { setIntegrationStatus } from "./integration-status.ts";
import { enqueuePost } from "./outbox.ts";

/** A row as a raw statement returns it. */
type Row = Record<string, unknown>;

/** The integrations (`i`) the report names: what the scan with overdue finds, in SQL. */
const PRESENT = "i.health IN ('failing', 'stale', 'overdue') AND i.status = 'enabled'";

/**
 * Remembers one report's findings from the kept verdicts, in three statements inside `transaction`: open
 * findings no longer present are resolved (as disabled when their integration is not enabled, or recovered),
 * present ones already reported and not snoozed get their last-reported time, kind and reason, and new ones
 * (never remembered, or resolved before) start afresh. The remembered reason is the kept verdict's. Returns
 * how many were resolved.
 */
async function rememberFindings(db: Database, now: Date, transaction: Transaction): Promise<number> {
  const resolved = await db.sequelize.query<Row>(
    `UPDATE housekeeping_findings SET resolved_at = :now, updated_at = :now,
       resolution = CASE WHEN EXISTS (SELECT 1 FROM integrations e WHERE e.id = housekeeping_findings.integration_id AND e.status = 'enabled') THEN 'recovered' ELSE 'disabled' END
     WHERE resolved_at IS NULL AND integration_id NOT IN (SELECT i.id FROM integrations i WHERE ${PRESENT})
     RETURNING integration_id`,
    { replacements: { now }, type: QueryTypes.SELECT, transaction },
  );
  await db.sequelize.query(
    `UPDATE housekeeping_findings SET last_reported_at = :now, updated_at = :now,
       kind = (SELECT i.health FROM integrations i WHERE i.id = housekeeping_findings.integration_id),
       reason = (SELECT COALESCE(i.health_reason, i.health) FROM integrations i WHERE i.id = housekeeping_findings.integration_id)
     WHERE resolved_at IS NULL AND (snoozed_until IS NULL OR snoozed_until <= :now)
       AND integration_id IN (SELECT i.id FROM integrations i WHERE ${PRESENT})`,
    { replacements: { now }, type: QueryTypes.UPDATE, transaction },
  );
  await db.sequelize.query(
    `INSERT INTO housekeeping_findings (integration_id, kind, reason, first_reported_at, last_reported_at, snoozed_until, snoozed_by, resolved_at, resolution, created_at, updated_at)
     SELECT i.id, i.health, COALESCE(i.health_reason, i.health), :now, :now, NULL, NULL, NULL, NULL, :now, :now
     FROM integrations i LEFT JOIN housekeeping_findings f ON f.integration_id = i.id
     WHERE ${PRESENT} AND (f.integration_id IS NULL OR f.resolved_at IS NOT NULL)
     ON CONFLICT (integration_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, first_reported_at = excluded.first_reported_at,
       last_reported_at = excluded.last_reported_at, snoozed_until = NULL, snoozed_by = NULL, resolved_at = NULL, resolution = NULL, updated_at = excluded.updated_at`,
    { replacements: { now }, type: QueryTypes.INSERT, transaction },
  );
  return resolved.length;
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
  /** The findings AUTO_DISABLE_AFTER_DAYS disables now, with the reason recorded on each. */
  autoDisable: Array<{ integrationId: string; reason: string }>;
  actor: Actor;
  now: Date;
  /** The messages to queue, built once it is known which integrations were disabled (another writer may have been first). */
  messages(disabled: ReadonlySet<string>): ReportMessage[];
}

/**
 * Writes one firing of the housekeeping report in one transaction: remembers its findings from the kept verdicts
 * (open findings no longer present resolved as recovered or disabled), disables the due ones (audited, their findings resolved), and queues
 * its messages in the outbox. A firing run again (a takeover, an overlap) finds its keys queued and queues nothing twice.
 */
export async function commitReport(db: Database, report: ReportCommit): Promise<{ resolved: number; disabled: string[]; queued: number }> {
  const { now } = report;
  return db.sequelize.transaction(async (transaction) => {
    const resolved = await rememberFindings(db, now, transaction);
    const disabled: string[] = [];
    for (const due of report.autoDisable) {
      const change = await setIntegrationStatus(db, { integrationId: due.integrationId, status: "disabled", actor: report.actor, reason: due.reason, at: now }, transaction);
      if (!change.changed) continue;
      await resolveFindingAsDisabled(db, due.integrationId, now, transaction);
      disabled.push(due.integrationId);
    }
    const messages = report.messages(new Set(disabled));
    for (const message of messages) await enqueuePost(db, transaction, { ...message, at: now });
    return { resolved, disabled, queued: messages.length };
  });
}
