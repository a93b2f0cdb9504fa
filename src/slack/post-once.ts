import type { Database } from "../data/database.ts";
import { postedMessage, rememberPost } from "../data/slack-posts.ts";
import { EmbedopsError } from "../errors.ts";
import type { ChannelMessages, MessageRef } from "../reply/messages.ts";
import type { Doc } from "../reply/document.ts";
import { reportSlackError, slackFailureError } from "./slack-errors.ts";

/** Where a message posted by postOnce lives, and whether this call posted it or found it already posted. */
interface PostOnceResult extends MessageRef {
  posted: boolean;
}

/**
 * Posts `doc` to `channel` unless a message with this `key` was posted before (the SlackPost table), so a job
 * that failed half-way through posting can run again and post only what is missing. Keys are the job's choice,
 * e.g. `housekeeping-report|2026-11-23|g1`. A Slack refusal (channel_not_found, not_in_channel) is logged once
 * with what to do, and thrown as an EmbedopsError whose message carries that hint (for `embedops job …`).
 */
export async function postOnce(
  db: Database,
  messages: ChannelMessages,
  key: string,
  channel: string,
  doc: Doc,
  options: { threadTs?: string; at?: Date } = {},
): Promise<PostOnceResult> {
  const existing = await postedMessage(db, key);
  if (existing) return { ...existing, posted: false };
  let ref: MessageRef;
  try {
    ref = await messages.post(channel, doc, options.threadTs ? { threadTs: options.threadTs } : undefined);
  } catch (error) {
    if (error instanceof EmbedopsError) throw error;
    const failure = reportSlackError(error, { method: "chat.postMessage", channel });
    throw slackFailureError(failure, { method: "chat.postMessage", channel });
  }
  await rememberPost(db, key, ref, options.at ?? new Date());
  return { ...ref, posted: true };
}
