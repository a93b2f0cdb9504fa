/**
 * The outbox: every Slack write a job decides on (a new message, or an update of one posted earlier), stored in
 * the same transaction as what the job found, and delivered by one sender (src/outbox/sender.ts) at Slack's pace.
 *
 *   enqueuePost(db, transaction, { key, channel, doc })        a new message; a second enqueue of the key is a no-op
 *   enqueuePost(…, { …, threadKey })                           a reply in the thread of the message posted under
 *                                                              `threadKey`, sent only once that post has its ts
 *   enqueueUpdate(db, transaction, { key, targetKey, doc })    replaces the message posted under `targetKey`, sent
 *                                                              only once that post has its ts (or `ref`: a message
 *                                                              posted outside the outbox); an update of the same
 *                                                              message still waiting, unclaimed, is superseded by it
 *   sentMessage(db, key)                                       where the message of a sent row lives (a failure
 *                                                              alert's post also writes it onto the alert)
 *
 * Keys are the writer's idempotency keys, named after the firing's item (`failure-alert:42:post`), so a firing
 * run twice (a takeover, an overlap) enqueues each item once. Delivery claims a row (claimed_by, claimed_until),
 * sends it, then marks it sent with the message ts. A sender that dies between its claim and the mark leaves a
 * claim that expires: that row is then marked failed as "unknown", never sent again. At most once on a crash,
 * never twice: Slack has no idempotency key for chat.postMessage, and looking the message up would need the
 * history scope.
 */
import { Op, type Transaction } from "sequelize";
import type { Doc } from "../reply/document.ts";
import type { Database } from "./database.ts";

/** How many times a row is tried (network errors, Slack 5xx) before it is marked failed. */
const MAX_ATTEMPTS = 5;

/** What an outbox row asks the sender to do. */
export interface OutboxItem {
  id: number;
  key: string;
  kind: "post" | "update";
  channel: string;
  doc: Doc;
  /** For an update: the message it replaces. */
  ref?: { channel: string; ts: string };
  /** For a reply in a thread: the ts of the thread's first message. */
  threadTs?: string;
  attempts: number;
}

/**
 * Queues a new message to `channel` (with `threadKey`: in the thread of the message posted under that key, in its
 * channel), inside the caller's transaction; a key queued before is left as it is.
 */
export async function enqueuePost(db: Database, transaction: Transaction, post: { key: string; channel: string; doc: Doc; at: Date; threadKey?: string }): Promise<void> {
  return insert(db, transaction, { key: post.key, kind: "post", channel: post.channel, targetKey: post.threadKey ?? null, doc: post.doc, at: post.at });
}

/**
 * Queues an update of the message posted under `targetKey` (or of `ref`, a message posted without the outbox),
 * inside the caller's transaction; a key queued before is left as it is. Earlier updates of the same message
 * that no sender has claimed yet are superseded: only the latest state of a message is worth a Slack call.
 */
export async function enqueueUpdate(
  db: Database,
  transaction: Transaction,
  update: { key: string; doc: Doc; at: Date } & ({ targetKey: string } | { ref: { channel: string; ts: string } }),
): Promise<void> {
  const same = "targetKey" in update ? { targetKey: update.targetKey } : { targetKey: null, postedChannel: update.ref.channel, ts: update.ref.ts };
  if (await db.models.OutboxMessage.findOne({ where: { key: update.key }, attributes: ["id"], transaction })) return;
  await db.models.OutboxMessage.update(
    { state: "superseded", error: `superseded by ${update.key}`.slice(0, 500) },
    { where: { kind: "update", state: "pending", claimedBy: null, ...same }, transaction },
  );
  if ("targetKey" in update) return insert(db, transaction, { key: update.key, kind: "update", channel: "", targetKey: update.targetKey, doc: update.doc, at: update.at });
  return insert(db, transaction, { key: update.key, kind: "update", channel: update.ref.channel, targetKey: null, doc: update.doc, at: update.at, ref: update.ref });
}

async function insert(
  db: Database,
  transaction: Transaction,
  row: { key: string; kind: "post" | "update"; channel: string; targetKey: string | null; doc: Doc; at: Date; ref?: { channel: string; ts: string } },
): Promise<void> {
  // ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite): a duplicate key leaves the transaction usable.
  await db.models.OutboxMessage.bulkCreate(
    [
      {
        key: row.key,
        kind: row.kind,
        channel: row.channel,
        targetKey: row.targetKey,
        doc: JSON.stringify(row.doc),
        state: "pending",
        claimedBy: null,
        claimedUntil: null,
        notBefore: null,
        postedChannel: row.ref?.channel ?? null,
        ts: row.ref?.ts ?? null,
        error: null,
        createdAt: row.at,
        sentAt: null,
      },
    ],
    { ignoreDuplicates: true, transaction },
  );
}

/** Where the message of a sent row lives; undefined while it is not sent (or was never queued). */
export async function sentMessage(db: Database, key: string): Promise<{ channel: string; ts: string } | undefined> {
  const row = await db.models.OutboxMessage.findOne({ where: { key, state: "sent" }, attributes: ["postedChannel", "ts"] });
  return row?.postedChannel && row.ts ? { channel: row.postedChannel, ts: row.ts } : undefined;
}

/** How many rows were ever queued under `key`, or under keys that start with it when it ends with a colon (inside `transaction`). */
export async function queuedKeys(db: Database, key: string, transaction?: Transaction): Promise<number> {
  if (!key.endsWith(":")) return db.models.OutboxMessage.count({ where: { key }, transaction });
  // LIKE's own wildcards (`_`) may be in the key: the prefix is checked again here.
  const rows = await db.models.OutboxMessage.findAll({ where: { key: { [Op.like]: `${key}%` } }, attributes: ["key"], transaction });
  return rows.filter((row) => row.key.startsWith(key)).length;
}

/** How many rows wait to be sent. */
export async function pendingCount(db: Database): Promise<number> {
  return db.models.OutboxMessage.count({ where: { state: "pending" } });
}

/**
 * Rows of other senders whose claim expired while still pending: their sender died between claiming and marking them, so they may
 * have reached Slack. Marked failed ("unknown"), never sent again; returns how many.
 */
export async function abandonExpiredClaims(db: Database, now: Date, holder: string): Promise<number> {
  const [count] = await db.models.OutboxMessage.update(
    { state: "failed", error: "unknown: the sender stopped while sending; not sent again", claimedBy: null },
    // The caller's own claims are still in its hands (a slow Slack call), whatever their expiry says.
    { where: { state: "pending", claimedBy: { [Op.ne]: null, [Op.notIn]: [holder] }, claimedUntil: { [Op.lt]: now } } },
  );
  return count;
}

/**
 * Claims the next row to send, oldest first, for `holder` until `now + claimMs`: pending, due, in none of the
 * `busyChannels`, and for an update or a thread reply, its post already sent (one whose post failed fails with it).
 * One guarded UPDATE per candidate, so two senders never claim the same row. Undefined when none is ready.
 */
export async function claimNext(db: Database, options: { holder: string; now: Date; claimMs: number; busyChannels: ReadonlySet<string> }): Promise<OutboxItem | undefined> {
  const { OutboxMessage: Outbox } = db.models;
  const { now } = options;
  const candidates = await Outbox.findAll({
    where: { state: "pending", claimedBy: null, [Op.or]: [{ notBefore: null }, { notBefore: { [Op.lte]: now } }] },
    order: [["id", "ASC"]],
    limit: 100,
  });
  for (const row of candidates) {
    let ref: { channel: string; ts: string } | undefined;
    let threadTs: string | undefined;
    let channel = row.channel;
    if (row.targetKey) {
      // An update of, or a reply in the thread of, the message posted under targetKey: ready once that has its ts.
      const target = await Outbox.findOne({ where: { key: row.targetKey } });
      if (target?.state === "failed" || !target) {
        await Outbox.update({ state: "failed", error: target ? "its message was never posted" : "no such message" }, { where: { id: row.id, state: "pending", claimedBy: null } });
        continue;
      }
      if (target.state !== "sent" || !target.ts || !target.postedChannel) continue;
      if (row.kind === "update") ref = { channel: target.postedChannel, ts: target.ts };
      else threadTs = target.ts;
      channel = target.postedChannel;
    } else if (row.kind === "update") {
      if (!row.postedChannel || !row.ts) continue;
      ref = { channel: row.postedChannel, ts: row.ts };
      channel = ref.channel;
    }
    if (options.busyChannels.has(channel)) continue;
    const [claimed] = await Outbox.update(
      { claimedBy: options.holder, claimedUntil: new Date(now.getTime() + options.claimMs), attempts: row.attempts + 1 },
      { where: { id: row.id, state: "pending", claimedBy: null } },
    );
    if (claimed === 0) continue;
    return { id: row.id, key: row.key, kind: row.kind, channel, doc: JSON.parse(row.doc) as Doc, ...(ref ? { ref } : {}), ...(threadTs ? { threadTs } : {}), attempts: row.attempts + 1 };
  }
  return undefined;
}

/** Posts whose ts is also kept on the row they announce (by key): a failure alert's or an incident's message, for its buttons and updates. */
const ANNOUNCES_ALERT = /^failure-alert:(\d+):post$/;
const ANNOUNCES_INCIDENT = /^incident:(inc_[0-9a-f]+):post$/;

/** Marks a claimed row sent, with where its message lives (and, for an alert's or incident's post, on that row too), in one transaction. */
export async function markSent(db: Database, item: Pick<OutboxItem, "id" | "key">, holder: string, message: { channel: string; ts: string }, now: Date): Promise<void> {
  await db.sequelize.transaction(async (transaction) => {
    const [marked] = await db.models.OutboxMessage.update(
      { state: "sent", postedChannel: message.channel, ts: message.ts, sentAt: now, claimedBy: null, claimedUntil: null, error: null },
      { where: { id: item.id, claimedBy: holder }, transaction },
    );
    if (!marked) return;
    const alertId = ANNOUNCES_ALERT.exec(item.key)?.[1];
    if (alertId) await db.models.FailureAlert.update({ channel: message.channel, ts: message.ts }, { where: { id: Number(alertId) }, transaction });
    const incidentId = ANNOUNCES_INCIDENT.exec(item.key)?.[1];
    if (incidentId) {
      await db.sequelize.query("UPDATE incidents SET channel = :channel, ts = :ts WHERE id = :id", { replacements: { id: incidentId, channel: message.channel, ts: message.ts }, transaction });
    }
  });
}

/** Gives a claimed row back after a failure: tried again from `retryAt`, or failed for good after MAX_ATTEMPTS or when `final`. */
export async function markFailedAttempt(db: Database, item: Pick<OutboxItem, "id" | "attempts">, holder: string, failure: { error: string; retryAt: Date; final?: boolean }): Promise<"retry" | "failed"> {
  const failed = failure.final || item.attempts >= MAX_ATTEMPTS;
  await db.models.OutboxMessage.update(
    failed
      ? { state: "failed", error: failure.error.slice(0, 500), claimedBy: null, claimedUntil: null }
      : { notBefore: failure.retryAt, error: failure.error.slice(0, 500), claimedBy: null, claimedUntil: null },
    { where: { id: item.id, claimedBy: holder } },
  );
  return failed ? "failed" : "retry";
}
