import type { Transaction } from "sequelize";
import type { Actor } from "../domain/permissions.ts";
import { actorLabel } from "../domain/permissions.ts";
import type { Database } from "./database.ts";
import type { AuditOutcome } from "./models/index.ts";

/** One audit entry to write. */
export interface AuditEntry {
  actor: Actor;
  action: string;
  targetId?: string | null;
  groupId?: string | null;
  outcome: AuditOutcome;
  /** Short words on what happened (a reason, a missing permission); never a secret. */
  detail?: string | null;
  at: Date;
}

/** Appends to the audit log, inside the caller's transaction when it has one. */
export async function recordAudit(db: Database, entry: AuditEntry, transaction?: Transaction): Promise<void> {
  await db.models.AuditEvent.create(
    {
      at: entry.at,
      actor: actorLabel(entry.actor),
      actorSlackUserId: entry.actor.kind === "job" ? null : (entry.actor.slackUserId ?? null),
      action: entry.action,
      targetId: entry.targetId ?? null,
      groupId: entry.groupId ?? null,
      outcome: entry.outcome,
      detail: entry.detail ?? null,
    },
    { transaction },
  );
}
