import { Op, UniqueConstraintError } from "sequelize";
import type { Doc } from "../reply/document.ts";
import type { Database } from "./database.ts";
import { enqueuePost, enqueueUpdate } from "./outbox.ts";
import { plain } from "./models/index.ts";
import type { FailureAlertRecord } from "./records.ts";

/** Ids per IN list. */
const CHUNK = 1000;

/** The alerts still open, oldest first. */
export async function openAlerts(db: Database): Promise<FailureAlertRecord[]> {
  return (await db.models.FailureAlert.findAll({ where: { state: "open" }, order: [["id", "ASC"]] })).map(plain);
}

/** Every alert, of any streak, of these integrations. */
export async function alertsOf(db: Database, integrationIds: string[]): Promise<FailureAlertRecord[]> {
  const out: FailureAlertRecord[] = [];
  for (let i = 0; i < integrationIds.length; i += CHUNK) {
    out.push(...(await db.models.FailureAlert.findAll({ where: { integrationId: { [Op.in]: integrationIds.slice(i, i + CHUNK) } } })).map(plain));
  }
  return out;
}

/** The outbox key of an alert's message. */
function alertPostKey(alertId: number): string {
  return `failure-alert:${alertId}:post`;
}

/** Which of these alerts have their message in the outbox (queued or sent). */
export async function alertsQueued(db: Database, alertIds: number[]): Promise<Set<number>> {
  if (alertIds.length === 0) return new Set();
  const rows = await db.models.OutboxMessage.findAll({ where: { key: { [Op.in]: alertIds.map(alertPostKey) } }, attributes: ["key"] });
  return new Set(rows.map((row) => Number(row.key.split(":")[1])));
}

/**
 * Opens the alert of one failure streak and queues its message in the outbox, in one transaction; null when
 * another firing opened it first (the unique integration and streak key: that firing queued the message).
 */
export async function openAlertWithPost(
  db: Database,
  alert: { integrationId: string; kind: "failing" | "overdue"; streakStartedAt: Date; error: string | null },
  post: { channel: string; doc: Doc; at: Date },
): Promise<FailureAlertRecord | null> {
  try {
    return await db.sequelize.transaction(async (transaction) => {
      const row = await db.models.FailureAlert.create({ ...alert, state: "open", channel: null, ts: null }, { transaction });
      await enqueuePost(db, transaction, { key: alertPostKey(row.id), channel: post.channel, doc: post.doc, at: post.at });
      return plain(row);
    });
  } catch (error) {
    if (error instanceof UniqueConstraintError) return null;
    throw error;
  }
}

/** Queues the message of an alert opened before the outbox existed and never posted; a second call changes nothing. */
export async function queueAlertPost(db: Database, alertId: number, post: { channel: string; doc: Doc; at: Date }): Promise<void> {
  await db.sequelize.transaction((transaction) => enqueuePost(db, transaction, { key: alertPostKey(alertId), channel: post.channel, doc: post.doc, at: post.at }));
}

/**
 * Closes an open alert (`recovered` or `disabled`) and queues the update of its message, in one transaction;
 * false when another firing closed it first. The update waits in the outbox until the alert's post has its ts.
 */
export async function closeAlertWithUpdate(
  db: Database,
  alert: Pick<FailureAlertRecord, "id" | "channel" | "ts">,
  state: "recovered" | "disabled",
  update: { doc: Doc; at: Date } | undefined,
): Promise<boolean> {
  return db.sequelize.transaction(async (transaction) => {
    const [closed] = await db.models.FailureAlert.update({ state }, { where: { id: alert.id, state: "open" }, transaction });
    if (closed === 0 || !update) return closed > 0;
    const key = `failure-alert:${alert.id}:${state}`;
    // An alert posted before the outbox existed names its message itself.
    if (alert.channel && alert.ts) await enqueueUpdate(db, transaction, { key, ref: { channel: alert.channel, ts: alert.ts }, doc: update.doc, at: update.at });
    else await enqueueUpdate(db, transaction, { key, targetKey: alertPostKey(alert.id), doc: update.doc, at: update.at });
    return true;
  });
}
