/**
 * The outbox sender: delivers what jobs queued with `enqueuePost` / `enqueueUpdate` (src/data/outbox.ts).
 *
 *   startOutboxSender({ db, messages, spacingMs, leaseTtlMs })   runs in every replica; only the one holding the
 *                                                                 `outbox-sender` lease sends (taken over when its
 *                                                                 holder dies), so Slack's pace holds across replicas
 *   drainOutbox({ db, messages, spacingMs })                     sends everything ready now (`embedops job`, tests)
 *
 * Pace: one write a second per channel (OUTBOX_SPACING_MS); on 429 the Web API client waits the Retry-After
 * Slack gives before the same call is tried again, and the sender waits with it. A network error or a 5xx is
 * tried again later (five attempts); a refusal (channel_not_found, not_in_channel) fails the row at once,
 * logged with what to do. Rows are claimed before they are sent: see src/data/outbox.ts for what a crash leaves.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Database } from "../data/database.ts";
import { takeLease, renewLease } from "../data/leases.ts";
import { abandonExpiredClaims, claimNext, markFailedAttempt, markSent, type OutboxItem } from "../data/outbox.ts";
import { log } from "../log.ts";
import type { ChannelMessages, MessageRef } from "../reply/messages.ts";
import { carriedSlackFailure, reportSlackError, type SlackFailure } from "../slack/slack-errors.ts";

/** The lease row that makes one replica the sender. */
const SENDER_LEASE = { jobName: "outbox-sender", fireKey: "sender" };

/** How often an idle sender looks for new rows. */
const IDLE_POLL_MS = 200;

/** What the sender needs. */
interface SenderDeps {
  db: Database;
  messages: ChannelMessages;
  /** Slack writes to one channel are kept at least this far apart. */
  spacingMs: number;
  /** How long the sender's lease (and a row's claim) lasts without renewal. */
  leaseTtlMs: number;
  /** Who this process is, in the lease and the claims. */
  holder?: string;
}

/** A running sender. */
export interface OutboxSender {
  /** Looks for rows now instead of at the next poll (after a job queued some). */
  wake(): void;
  /**
   * Stops after the row in flight, sending first, for at most `drainMs`, the rows ready now (what the last firings
   * queued while the bot was stopping), then hands the lease on at once.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

/** A row given up on: which, and what Slack said (with what to do, for a refusal). */
interface DeliveryFailure {
  key: string;
  method: string;
  channel: string;
  failure: SlackFailure;
}

/** Sends one claimed row; the claim is then marked sent or given back. Returns the failure when the row is given up on. */
async function deliver(deps: SenderDeps, holder: string, item: OutboxItem): Promise<DeliveryFailure | undefined> {
  const method = item.kind === "post" ? "chat.postMessage" : "chat.update";
  try {
    let ref: MessageRef;
    if (item.kind === "post") ref = await deps.messages.post(item.channel, item.doc, item.threadTs ? { threadTs: item.threadTs } : undefined);
    else {
      await deps.messages.update(item.ref!, item.doc);
      ref = item.ref!;
    }
    await markSent(deps.db, item, holder, ref, new Date());
    log.debug({ key: item.key, method, channel: item.channel }, "outbox row sent");
    return undefined;
  } catch (error) {
    // A refusal the Web API client already logged (with its hint) comes wrapped; anything else is reported here.
    const failure = carriedSlackFailure(error) ?? reportSlackError(error, { method, channel: item.channel });
    const retryAt = new Date(Date.now() + 2 ** item.attempts * 1_000);
    const outcome = await markFailedAttempt(deps.db, item, holder, { error: `${failure.code}${failure.hint ? `: ${failure.hint}` : ""}`, retryAt, final: failure.permanent });
    // A permanent refusal is logged once an hour per channel where it happened; one line per row would flood the log.
    const fields = { key: item.key, method, channel: item.channel, outcome };
    if (failure.permanent) log.debug({ ...fields, refusal: failure.code }, "outbox row given up: Slack refused it");
    else log.warn({ ...fields, slackError: failure.code }, outcome === "failed" ? "outbox row given up" : "outbox row will be tried again");
    return outcome === "failed" ? { key: item.key, method, channel: item.channel, failure } : undefined;
  }
}

/** The pacing of one sender: when each channel may be written to next. */
function channelPace(spacingMs: number) {
  const last = new Map<string, number>();
  return {
    busy(now: number): Set<string> {
      return new Set([...last].filter(([, at]) => at + spacingMs > now).map(([channel]) => channel));
    },
    /** Milliseconds until the first busy channel is free again. */
    nextFree(now: number): number {
      const waits = [...last.values()].map((at) => at + spacingMs - now).filter((wait) => wait > 0);
      return waits.length ? Math.min(...waits) : 0;
    },
    sent(channel: string, at: number) {
      last.set(channel, at);
    },
  };
}

/**
 * One step of a sender that holds the lease: sends the next ready row; returns how long to wait before the next
 * step, and the failure of a row given up on.
 */
async function step(deps: SenderDeps, holder: string, pace: ReturnType<typeof channelPace>): Promise<{ next: number | "idle"; failed?: DeliveryFailure }> {
  const now = Date.now();
  const item = await claimNext(deps.db, { holder, now: new Date(now), claimMs: deps.leaseTtlMs * 2, busyChannels: pace.busy(now) });
  if (!item) {
    const wait = pace.nextFree(now);
    return { next: wait > 0 ? wait : "idle" };
  }
  const failed = await deliver(deps, holder, item);
  pace.sent(item.channel, Date.now());
  return { next: 0, failed };
}

/**
 * Sends every row ready now (and the updates and thread replies that become ready as their posts go out), paced;
 * resolves when none is left, with the rows given up on (`embedops job` says why).
 */
export async function drainOutbox(deps: SenderDeps, options: { timeoutMs?: number } = {}): Promise<{ failed: DeliveryFailure[] }> {
  const holder = deps.holder ?? `drain:${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const pace = channelPace(deps.spacingMs);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const failed: DeliveryFailure[] = [];
  while (Date.now() < deadline) {
    const { next, failed: failure } = await step(deps, holder, pace);
    if (failure) failed.push(failure);
    if (next === "idle") break;
    if (next > 0) await new Promise((resolve) => setTimeout(resolve, next));
  }
  return { failed };
}

/** Starts this process's sender (see the top of this module); only the lease holder among the replicas sends. */
export function startOutboxSender(deps: SenderDeps): OutboxSender {
  // Stays long: the loop, its heartbeat, the drain at stop and the lease they share are one piece of state.
  const holder = deps.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const lease = { ...SENDER_LEASE, holder };
  const pace = channelPace(deps.spacingMs);
  let stopped = false;
  let finished = false;
  let held = false;
  let wakeUp: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  // The heartbeat runs apart from sending, so a slow Slack call never lets the lease lapse.
  const heartbeat = setInterval(() => {
    if (!held || finished) return;
    renewLease(deps.db, lease, new Date(), deps.leaseTtlMs)
      .then(async (kept) => {
        if (!kept) held = false;
        else {
          const abandoned = await abandonExpiredClaims(deps.db, new Date(), holder);
          if (abandoned) log.warn({ abandoned }, "outbox rows left mid-send by a stopped sender are not sent again");
        }
      })
      .catch((error: unknown) => log.warn({ err: error }, "could not renew the outbox sender lease"));
  }, Math.max(100, Math.floor(deps.leaseTtlMs / 3)));
  heartbeat.unref();

  const loop = (async () => {
    while (!stopped) {
      let wait: number;
      try {
        if (!held) {
          held = await takeLease(deps.db, lease, new Date(), deps.leaseTtlMs);
          if (held) log.info({ holder }, "this process now sends the outbox");
        }
        if (!held) wait = Math.max(IDLE_POLL_MS, Math.floor(deps.leaseTtlMs / 3));
        else {
          const { next } = await step(deps, holder, pace);
          wait = next === "idle" ? IDLE_POLL_MS : next;
        }
      } catch (error) {
        log.error({ err: error }, "the outbox sender failed a step; trying again");
        wait = 1_000;
      }
      if (wait > 0 && !stopped) await sleep(wait);
    }
  })();

  /** Sends what is ready until `until` or none is left, taking the lease first if another replica let it go. */
  const drainBefore = async (until: number) => {
    try {
      if (!held) held = await takeLease(deps.db, lease, new Date(), deps.leaseTtlMs);
      while (held && Date.now() < until) {
        const { next } = await step(deps, holder, pace);
        if (next === "idle") break;
        if (next > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(next, until - Date.now())));
      }
    } catch (error) {
      log.warn({ err: error }, "could not send the outbox before stopping; another replica or the next start sends it");
    }
  };

  return {
    wake() {
      wakeUp?.();
    },
    async stop(options = {}) {
      stopped = true;
      wakeUp?.();
      await loop;
      const until = Date.now() + (options.drainMs ?? 0);
      if (until > Date.now()) await drainBefore(until);
      finished = true;
      clearInterval(heartbeat);
      // Handed on at once: another replica need not wait for the expiry.
      if (held) await renewLease(deps.db, lease, new Date(), -1).catch(() => undefined);
    },
  };
}
