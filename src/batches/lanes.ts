import type { Clock } from "../clock.ts";
import {
  abortedBy,
  claimMemberRuns,
  closeTaken,
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
// are taken in chunks, runs claimed ahead of the lanes in one transaction each round, the engine's answers stored
// in groups.

/** Members taken (pending → in_flight) at a time: taken without a run, they are simply taken again after a stop. */
const TAKE_CHUNK = 100;
/** The engine's answers are stored at least this often… */
const FLUSH_MS = 100;
/** …or as soon as this many wait. */
const FLUSH_SIZE = 50;
/** Tries to store one group of answers (about 9 s in all) before it is left to the interrupted-run recovery. */
const STORE_ATTEMPTS = 10;
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

/** A member handed out by a claim round, numbered by that round (rounds are numbered as they start). */
type Claimed = NextRun & { round: number };

/** What was claimed ahead and not handed out when the lanes ended. */
interface UnsentRuns {
  /** Members whose runs are recorded and were never sent: they are withdrawn. */
  claimed: Array<{ member: BatchMemberRecord; run: ClaimedMemberRun }>;
  /** Members taken for the one-by-one claim, nothing done for them yet. */
  alone: BatchMemberRecord[];
}

/**
 * Hands the lanes of a bulk run their next member with its run claimed, from runs claimed ahead: while the lanes'
 * requests are out, claim rounds (one transaction each, one after another) keep up to `ahead` members claimed
 * beyond the lanes waiting, so a lane that is answered gets its next run at once. A round claims what the lanes
 * took while the previous one ran (at least half of `ahead`): the slower the claim, the bigger the round, the
 * cheaper each member.
 * A run claimed ahead is sent only if the batch was not aborted when its lane took it (read then, one read for
 * the lanes taking at that moment); what is left when the lanes end is given to the caller (close), to withdraw.
 */
export class RunClaimer {
  private readonly ready: Claimed[] = [];
  private waiters: Array<{ asked: number; resolve: (next: Claimed | null) => void; reject: (error: unknown) => void }> = [];
  private claiming?: Promise<void>;
  private rounds = 0;
  /** No pending member left to take. */
  private exhausted = false;
  /** The batch was found aborted: no lane gets another member. */
  private aborted = false;
  private closed = false;
  private failure?: { error: unknown };
  private abortRead?: Promise<boolean>;
  private readonly flowUrls = new Map<string, string | null>();

  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      batchId: string;
      actor: Actor;
      scope: GroupScope;
      members: TakenMembers;
      stopped: () => boolean;
      /** Members kept claimed beyond the lanes waiting. */
      ahead: number;
    },
  ) {}

  /** The lane's next member, or null when there is none left or the batch stops. */
  async next(): Promise<NextRun | null> {
    const asked = this.rounds;
    const next = await new Promise<Claimed | null>((resolve, reject) => {
      this.waiters.push({ asked, resolve, reject });
      this.serve();
      this.pump();
    });
    if (!next) return null;
    // Claimed by a round that began before this lane asked (ahead of it): the abort is read again first.
    if (next.round <= asked && (await this.abortSeen())) this.aborted = true;
    if (this.halted()) {
      this.ready.unshift(next);
      this.serve();
      return null;
    }
    const { round, ...handed } = next;
    void round;
    return handed;
  }

  /** Stops claiming; resolves, once a round under way has ended, with what was claimed and not handed out. */
  async close(): Promise<UnsentRuns> {
    this.closed = true;
    await this.claiming;
    const left = this.ready.splice(0);
    return {
      claimed: left.flatMap((next) => (next.kind === "claimed" ? [{ member: next.member, run: next.run }] : [])),
      alone: left.flatMap((next) => (next.kind === "alone" ? [next.member] : [])),
    };
  }

  private halted(): boolean {
    return this.aborted || this.closed || this.deps.stopped();
  }

  /** Hands the claimed members to the waiting lanes, or null to all of them when there will be none. */
  private serve(): void {
    while (this.waiters.length) {
      if (this.failure) {
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure.error);
        return;
      }
      const none = this.halted() || (this.exhausted && !this.claiming && this.ready.length === 0);
      if (none) {
        for (const waiter of this.waiters.splice(0)) waiter.resolve(null);
        return;
      }
      const next = this.ready.shift();
      if (!next) return;
      this.waiters.shift()!.resolve(next);
    }
  }

  /**
   * Starts a claim round unless one is under way: as many members as lanes wait, plus `ahead` minus those ready;
   * while no lane waits, only once half of `ahead` or fewer are ready.
   */
  private pump(): void {
    if (this.claiming || this.exhausted || this.failure || this.halted()) return;
    // No lane waits and more than half of `ahead` are ready: the round waits to be bigger (cheaper per member).
    if (this.waiters.length === 0 && this.ready.length > this.deps.ahead / 2) return;
    const wanted = this.waiters.length + this.deps.ahead - this.ready.length;
    if (wanted <= 0) return;
    const round = ++this.rounds;
    this.claiming = this.round(wanted, round)
      .then(
        (claimed) => void this.ready.push(...claimed),
        (error: unknown) => void (this.failure = { error }),
      )
      .finally(() => {
        this.claiming = undefined;
        this.serve();
        this.pump();
      });
  }

  /** Whether the batch is aborted, read now: lanes asking at the same moment share one read begun after they asked. */
  private abortSeen(): Promise<boolean> {
    this.abortRead ??= Promise.resolve().then(async () => {
      this.abortRead = undefined;
      return Boolean(await abortedBy(this.deps.db, this.deps.batchId));
    });
    return this.abortRead;
  }

  /** One claim of up to `wanted` members; fewer when the batch runs out or stops. */
  private async round(wanted: number, round: number): Promise<Claimed[]> {
    const { db, clock, batchId, actor, scope, members } = this.deps;
    const ready: BatchMemberRecord[] = [];
    while (ready.length < wanted && !this.halted()) {
      const taken = await members.take(wanted - ready.length);
      if (taken.length === 0) {
        this.exhausted = true;
        break;
      }
      ready.push(...taken.filter((member) => inScope(scope, member.groupId)));
      const outOfScope = taken.filter((member) => !inScope(scope, member.groupId)).map((member) => member.integrationId);
      if (outOfScope.length) await closeTaken(db, batchId, outOfScope, "skipped", "the requester may no longer act on its group", clock.now());
    }
    // Stopping meanwhile: the members taken are given back unclaimed rather than claimed to be withdrawn.
    if (ready.length === 0 || this.halted()) {
      members.putBack(ready);
      return [];
    }
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
    return ready.map((member): Claimed => {
      const run = byId.get(member.integrationId);
      if (run && !alone.has(member.integrationId)) return { kind: "claimed", member, run, round };
      return { kind: "alone", member, round };
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
        if (attempt >= STORE_ATTEMPTS) {
          // Left in flight with their runs sent: the next look resolves them from their runs, never sending again
          // (as interrupted, unless the engine reports them).
          log.error({ err: error, batchId, members: group.length }, "could not store the engine's answers to a batch's run requests");
          return;
        }
        // A database that is away for a moment (a failover, a lock held long) does not turn answers into failures.
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * attempt)));
      }
    }
  }
}
