import type { Transaction } from "sequelize";
import { actorLabel, type Actor } from "../domain/permissions.ts";
import { notFound } from "../errors.ts";
import { recordAudit } from "./audit.ts";
import type { Database } from "./database.ts";
import type { Integration, IntegrationStatus } from "./models/index.ts";

/** The outcome of enabling or disabling: changed, or it already was so (and by whom, since when). */
interface StatusChange {
  changed: boolean;
  integration: Integration;
}

/**
 * Enables or disables an integration, recording who, when and why on the row and in the audit log,
 * in one transaction. Doing it twice changes nothing and says so (changed: false, audited as noop).
 */
export async function setIntegrationStatus(
  db: Database,
  options: { integrationId: string; status: IntegrationStatus; actor: Actor; reason?: string | null; at: Date; action?: string; auditDetail?: string },
  outer?: Transaction,
): Promise<StatusChange> {
  const work = async (transaction: Transaction): Promise<StatusChange> => {
    const integration = await db.models.Integration.findByPk(options.integrationId, { transaction, lock: db.dialect === "postgres" ? transaction.LOCK.UPDATE : undefined });
    if (!integration) throw notFound(`No integration \`${options.integrationId}\`.`);
    const action = options.action ?? (options.status === "disabled" ? "disable" : "enable");
    if (integration.status === options.status) {
      await recordAudit(db, { actor: options.actor, action, targetId: integration.id, groupId: integration.groupId, outcome: "noop", detail: `${options.auditDetail ? `${options.auditDetail}: ` : ""}already ${options.status}`, at: options.at }, transaction);
      return { changed: false, integration };
    }
    await integration.update(
      {
        status: options.status,
        statusChangedAt: options.at,
        statusChangedBy: actorLabel(options.actor),
        disabledReason: options.status === "disabled" ? (options.reason?.trim() || null) : null,
      },
      { transaction },
    );
    const detail = options.auditDetail ?? (options.reason?.trim() || null);
    await recordAudit(db, { actor: options.actor, action, targetId: integration.id, groupId: integration.groupId, outcome: "ok", detail, at: options.at }, transaction);
    return { changed: true, integration };
  };
  return outer ? work(outer) : db.sequelize.transaction(work);
}
