import { Op, UniqueConstraintError } from "sequelize";
import type { Database } from "./database.ts";
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

/** Sets an alert's state (`open`, `recovered` or `disabled`). */
export async function setAlertState(db: Database, alertId: number, state: string): Promise<void> {
  await db.models.FailureAlert.update({ state }, { where: { id: alertId } });
}

/**
 * Opens the alert of one failure streak, before its message is posted; returns null when another firing
 * opened it first (the unique integration and streak key).
 */
export async function openAlert(db: Database, alert: { integrationId: string; streakStartedAt: Date; error: string | null }): Promise<FailureAlertRecord | null> {
  try {
    return plain(await db.models.FailureAlert.create({ ...alert, state: "open", channel: null, ts: null }));
  } catch (error) {
    if (error instanceof UniqueConstraintError) return null;
    throw error;
  }
}

/** Records the Slack message that announced an alert. */
export async function attachAlertMessage(db: Database, alertId: number, ref: { channel: string; ts: string }): Promise<void> {
  await db.models.FailureAlert.update({ channel: ref.channel, ts: ref.ts }, { where: { id: alertId } });
}
