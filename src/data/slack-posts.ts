import { UniqueConstraintError } from "sequelize";
import type { Database } from "./database.ts";

/** A message posted to Slack: its channel and timestamp. */
interface PostedMessage {
  channel: string;
  ts: string;
}

/** The message posted under `key`, if any. */
export async function postedMessage(db: Database, key: string): Promise<PostedMessage | undefined> {
  const row = await db.models.SlackPost.findByPk(key);
  return row ? { channel: row.channel, ts: row.ts } : undefined;
}

/** Remembers the message posted under `key`; when another process remembered one first, theirs is kept. */
export async function rememberPost(db: Database, key: string, message: PostedMessage, at: Date): Promise<void> {
  try {
    await db.models.SlackPost.create({ key, channel: message.channel, ts: message.ts, postedAt: at });
  } catch (error) {
    if (!(error instanceof UniqueConstraintError)) throw error;
  }
}
