import type { Clock } from "../clock.ts";
import {
  claimMemberRuns,
  finishMember,
  finishMemberRuns,
  takeMembers,
  type BatchMemberRecord,
  type ClaimedMemberRun,
  type MemberRunAnswer,
} from "../data/batches.ts";
import type { Database } from "../data/database.ts";
import { inScope, type Actor, type GroupScope } from "../domain/permissions.ts";
import { log } from "../log.ts";
import { runRequestDetail } from "../runner/run-outcome.ts";
import { manualRunId } from "../runner/runner.ts";

// The database side of a batch's lanes, grouped so that the database is never what bounds a bulk action: members
// are taken in chunks, the lanes' run claims in one transaction each round, the engine's answers stored in groups.

/** Members taken (pending → in_flight) at a time: taken without a run, they are simply taken again after a stop. */
const TAKE_CHUNK = 100;
/** The engine's answers are stored at least this often… */
const FLUSH_MS = 100;
/** …or as soon as this many wait. */
const FLUSH_SIZE = 50;
/** A lane waits for the store when this many answers are still unstored (the database fell behind). */
const FLUSH_BACKLOG = 4 * FLUSH_SIZE;

/** A batch's members taken from the database a chunk at a time, handed out one by one, in order. */
export class TakenMembers {
  private queue: BatchMemberRecord[] = [];
  private refilling?: Promise<void>;
  private exhausted = false;

  constructor(
    private readonly db: Database,
    private readonly batchId: string,
    private readonly clock: Clock,
  ) {}

  /** Up to `count` taken members; fewer (or none) when the batch has no pending member left. */
  async take(count: number): Promise<BatchMemberRecord[]> {
    const out: BatchMemberRecord[] = [];
    while (out.length < count) {
      const member = this.queue.shift();
      if (member) {
        out.push(member);
        continue;
      }
      if (this.exhausted) break;
      await this.refill();
    }
    return out;
  }

  /** Gives back members taken but not acted on, ahead of the others. */
  putBack(members: BatchMemberRecord[]): void {
    this.queue.unshift(...members);
  }

  /** Members taken but not handed out (a stop or an abort): the caller gives them back or closes them. */
  leftOver(): string[] {
    return this.queue.splice(0).map((member) => member.integrationId);
  }

  private refill(): Promise<void> {
    this.refilling ??= takeMembers(this.db, this.batchId, TAKE_CHUNK, this.clock.now())
      .then((rows) => {
        if (rows.length === 0) this.exhausted = true;
        this.queue.push(...rows);
      })
      .finally(() => {
        this.refilling = undefined;
      });
    return this.refilling;
  }
}

/** What a run lane gets next: a member whose run is claimed and may be sent, or one to claim on its own. */
type NextRun = { kind: "claimed"; member: BatchMemberRecord; run: ClaimedMemberRun } | { kind: "alone"; member: BatchMemberRecord };

/**
 * Hands the lanes of a bulk run their next member with its run claimed. The lanes that ask while a claim is under
 * way are served together by the next one: one transaction claims as many runs as lanes wait, never more, so a
 * run is only ever claimed by a lane about to send it.
 */
export class RunClaimer {
  private waiters: Array<{ resolve: (next: NextRun | null) => void; reject: (error: unknown) => void }> = [];
  private busy = false;
  private readonly flowUrls = new Map<string, string | null>();
  /** The batch was found aborted: no lane gets another member. */
  private aborted = false;

  constructor(
    private readonly deps: { db: Database; clock: Clock; batchId: string; actor: Actor; scope: GroupScope; members: TakenMembers; stopped: () => boolean },
  ) {}

  /** The lane's next member, or null when there is none left or the batch stops. */
  next(): Promise<NextRun | null> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy || this.waiters.length === 0) return;
    this.busy = true;
    const waiting = this.waiters.splice(0);
    this.round(waiting.length)
      .then((handed) => waiting.forEach((waiter, i) => waiter.resolve(handed[i] ?? null)))
      .catch((error: unknown) => waiting.forEach((waiter) => waiter.reject(error)))
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }

  /** One claim for `lanes` waiting lanes; fewer when the batch ran out or stops. */
  private async round(lanes: number): Promise<NextRun[]> {
    const { db, clock, batchId, actor, scope, members, stopped } = this.deps;
    const ready: BatchMemberRecord[] = [];
    while (ready.length < lanes && !stopped() && !this.aborted) {
      const taken = await members.take(lanes - ready.length);
      if (taken.length === 0) break;
      for (const member of taken) {
        if (inScope(scope, member.groupId)) ready.push(member);
        else await finishMember(db, batchId, member.integrationId, { outcome: "skipped", detail: "the requester may no longer act on its group" }, clock.now());
      }
    }
    if (ready.length === 0) return [];
    const { aborted, claimed, contended } = await claimMemberRuns(db, {
      batchId,
      members: ready.map((member) => ({ integrationId: member.integrationId, runId: manualRunId(member.integrationId, batchId) })),
      actor,
      auditDetail: runRequestDetail,
      now: clock.now(),
      flowUrls: this.flowUrls,
    });
    if (aborted) {
      this.aborted = true;
      members.putBack(ready);
      return [];
    }
    const byId = new Map(claimed.map((run) => [run.integrationId, run]));
    const alone = new Set(contended);
    return ready.map((member): NextRun => {
      const run = byId.get(member.integrationId);
      if (run && !alone.has(member.integrationId)) return { kind: "claimed", member, run };
      return { kind: "alone", member };
    });
  }
}

/**
 * The engine's answers to a bulk run's requests, stored in groups: every FLUSH_MS or FLUSH_SIZE answers, one
 * transaction each, one after another. Until stored, a member stays in flight with its run recorded as sent:
 * after a crash it is resolved from its run, never sent again.
 */
export class RunAnswers {
  private items: MemberRunAnswer[] = [];
  private timer?: NodeJS.Timeout;
  private storing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { db: Database; clock: Clock; batchId: string; actor: Actor }) {}

  /** Adds an answer; resolves at once unless the store fell far behind. */
  async add(answer: MemberRunAnswer): Promise<void> {
    this.items.push(answer);
    if (this.items.length >= FLUSH_SIZE) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
    if (this.items.length >= FLUSH_BACKLOG) await this.storing;
  }

  /** Stores every answer added so far; resolves when they are stored (or given up on, logged). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.items.splice(0);
    if (group.length === 0) return this.storing;
    this.storing = this.storing.then(() => this.store(group));
    return this.storing;
  }

  private async store(group: MemberRunAnswer[]): Promise<void> {
    const { db, clock, batchId, actor } = this.deps;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await finishMemberRuns(db, batchId, group, actor, clock.now());
        return;
      } catch (error) {
        if (attempt >= 3) {
          // Left in flight with their runs sent: the next look resolves them from their runs, never sending again.
          log.error({ err: error, batchId, members: group.length }, "could not store the engine's answers to a batch's run requests");
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }
}
