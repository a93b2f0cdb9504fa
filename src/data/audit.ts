import type { Transaction } from "sequelize";
import type { Actor } from "../domain/permissions.ts";
import { actorLabel } from "../domain/permissions.ts";
import { allOf, anyOf, equals, type Condition } from "./bound.ts";
import type { Database } from "./database.ts";
import { keysetPage, type Page, type PageRequest } from "./keyset.ts";
import type { AuditOutcome } from "./models/index.ts";
import type { AuditRecord } from "./records.ts";

/** One audit entry to write. */
interface AuditEntry {
  actor: Actor;
  action: string;
  targetId?: string | null;
  groupId?: string | null;
  outcome: AuditOutcome;
  /** Short words on what happened (a reason, a missing permission); never a secret. */
  detail?: string | null;
  at: Date;
}

/** An entry as the audit table keeps it. */
function auditRow(entry: AuditEntry) {
  return {
    at: entry.at,
    actor: actorLabel(entry.actor),
    actorSlackUserId: entry.actor.kind === "operator" || entry.actor.kind === "unmapped" ? (entry.actor.slackUserId ?? null) : null,
    action: entry.action,
    targetId: entry.targetId ?? null,
    groupId: entry.groupId ?? null,
    outcome: entry.outcome,
    detail: entry.detail ?? null,
  };
}

/** Appends to the audit log, inside the caller's transaction when it has one. */
export async function recordAudit(db: Database, entry: AuditEntry, transaction?: Transaction): Promise<void> {
  await db.models.AuditEvent.create(auditRow(entry), { transaction });
}

/** Appends several entries in one statement, inside the caller's transaction (a bulk action's members). */
export async function recordAudits(db: Database, entries: readonly AuditEntry[], transaction: Transaction): Promise<void> {
  if (entries.length === 0) return;
  await db.models.AuditEvent.bulkCreate(entries.map(auditRow), { transaction });
}

/** Whom an audit page is about: a Slack user, an email (actor or target), or any id (target, group, actor). */
export type AuditSubject = { slackUserId: string } | { email: string } | { id: string };

/** One page of the audit log, latest first by when it happened (imports may append old entries), ties by the order written. */
export async function auditPage(db: Database, about: AuditSubject | undefined, page: PageRequest): Promise<Page<AuditRecord>> {
  const model = db.models.AuditEvent;
  const either = (attributes: string[], value: string) => anyOf(attributes.map((attribute) => equals(model, attribute, value)));
  let where: Condition = allOf([]);
  if (about && "slackUserId" in about) where = equals(model, "actorSlackUserId", about.slackUserId);
  else if (about && "email" in about) where = either(["actor", "targetId"], about.email);
  else if (about) where = either(["targetId", "groupId", "actor", "actorSlackUserId"], about.id);
  return keysetPage(db, model, where, "at", page, { idKind: "number" });
}
