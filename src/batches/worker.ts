import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import {
  changeMemberStatus,
  claimBatch,
  closePending,
  closeTaken,
  expireBatches,
  findBatch,
  finishMember,
  inFlightMembers,
  moveBatch,
  parkLease,
  releaseLease,
  renewLease,
  returnMember,
  returnMembers,
  runState,
  settleRunOutcomes,
  tallyMembers,
  withdrawMemberRuns,
  type BatchMemberRecord,
  type BatchRecord,
} from "../data/batches.ts";
import type { Database } from "../data/database.ts";
import { findOperatorByEmail, operatorActor } from "../data/operators.ts";
import { BULK_NEED, runOutcome } from "../domain/bulk.ts";
import { inScope, scopeFor, type Actor, type GroupScope } from "../domain/permissions.ts";
import { log } from "../log.ts";
import { MANUAL_RUN_STALE_AFTER_MS, manualRunId, type Runner } from "../runner/runner.ts";
import { RunAnswers, RunClaimer, TakenMembers } from "./lanes.ts";
import type { ChannelMessages } from "../reply/messages.ts";
import { presentBatchSummary } from "../slack/presenters/batch.ts";
import { batchSummaryView } from "./summary.ts";

/** How the worker paces itself; tests shorten these. */
export interface BatchWorkerTiming {
  /** How long a claimed batch stays this replica's without a renewal. */
  leaseMs: number;
  /** How often an idle worker looks for work, and a settling batch for the engine's reports. */
  pollMs: number;
  /** The summary message is updated at most this often (Slack's chat.update limits). */
  summaryIntervalMs: number;
}

/** Defaults: a 30-second lease, a look every second, the summary at most every five seconds. */
const DEFAULT_BATCH_TIMING: BatchWorkerTiming = { leaseMs: 30_000, pollMs: 1_000, summaryIntervalMs: 5_000 };

/** What the worker needs. */
interface BatchWorkerDeps {
  db: Database;
  config: Config;
  clock: Clock;
  runner: Runner;
  messages: ChannelMessages;
  timing?: Partial<BatchWorkerTiming>;
  /** This replica's name on the leases it holds. */
  owner?: string;
}

/**
 * Runs claimed ahead of a bulk run's lanes, per lane: the claim is off the lanes' path while a round keeps up with
 * them. A crash leaves at most this many runs per lane recorded and never sent (recovery marks them interrupted).
 */
const CLAIM_AHEAD_PER_LANE = 1;

/** A lost lease or a stop: the batch is left for whoever takes it next. */
class Interrupted extends Error {}

/**
 * Acts on stored batches: claims one through the database (a lease), resolves members a stopped process left in
 * flight, acts on the pending ones with BULK_CONCURRENCY at a time, waits for the engine's reports of the runs,
 * and keeps the batch's summary message up to date, paced. Any number of replicas may run one each.
 */
export class BatchWorker {
  readonly owner: string;
  private readonly timing: BatchWorkerTiming;
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private idleWaiters: Array<() => void> = [];
  /** Summary updates sent (for the benchmark). */
  summaryUpdates = 0;

  constructor(private readonly deps: BatchWorkerDeps) {
    this.timing = { ...DEFAULT_BATCH_TIMING, ...deps.timing };
    this.owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  }

  /** Starts looking for work. */
  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Looks for work now (a batch was just confirmed). */
  kick(): void {
    this.wake?.();
  }

  /** Stops after the member in hand; the batch's lease is released so another replica goes on at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.loop;
    this.loop = undefined;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Resolves once the worker looked for work and found none it could take now (a settling batch waiting for the
   * engine does not count): the console waits for it at the end of its input.
   */
  idle(): Promise<void> {
    if (!this.loop) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async sleep(ms: number): Promise<void> {
    if (this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private leaseEnd(): Date {
    return new Date(this.deps.clock.now().getTime() + this.timing.leaseMs);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      try {
        await expireBatches(this.deps.db, this.deps.clock.now());
        const batch = await claimBatch(this.deps.db, this.owner, this.deps.clock.now(), this.leaseEnd());
        if (batch) worked = await this.work(batch);
        else for (const resolve of this.idleWaiters.splice(0)) resolve();
      } catch (error) {
        log.error({ err: error }, "the batch worker failed; trying again shortly");
      }
      if (!worked) await this.sleep(this.timing.pollMs);
    }
  }

  /** Works on one claimed batch; true when it did something worth looking again at once. */
  async work(claimed: BatchRecord): Promise<boolean> {
    const { db, clock } = this.deps;
    let batch = claimed;
    let lost = false;
    const renew = async () => {
      const renewed = await renewLease(db, batch.id, this.owner, this.leaseEnd());
      if (!renewed) lost = true;
      else batch = renewed;
    };
    const heartbeat = setInterval(() => void renew().catch((error) => log.warn({ err: error, batchId: batch.id }, "could not renew a batch's lease")), Math.max(50, Math.min(1_000, this.timing.leaseMs / 3)));
    const summary = this.summary(batch.id);
    try {
      if (batch.status === "queued") {
        await moveBatch(db, batch.id, ["queued"], "running", clock.now());
        batch = (await findBatch(db, batch.id))!;
        log.info({ batchId: batch.id, action: batch.action, total: batch.total }, "batch started");
      }
      if (batch.status === "running") {
        const actor = await this.requester(batch);
        if (!actor) {
          await closePending(db, batch.id, "skipped", "the requester is no longer an operator", clock.now());
        } else {
          await this.recover(batch, actor);
          await this.actOnPending(() => batch, { lost: () => lost, stopped: () => this.stopped }, actor, summary);
        }
        if (lost || this.stopped) throw new Interrupted();
        const tally = await tallyMembers(db, batch.id);
        if (tally.pending > 0 || tally.inFlight > 0) throw new Interrupted();
        const next = batch.action === "run" && (tally.outcomes.running ?? 0) > 0 ? "settling" : "finished";
        await moveBatch(db, batch.id, ["running"], next, clock.now(), next === "finished" ? { finishedAt: clock.now() } : {});
        batch = (await findBatch(db, batch.id))!;
        if (next === "settling") await summary.show(true);
        if (next === "finished") {
          log.info({ batchId: batch.id, outcomes: tally.outcomes }, "batch finished");
          await summary.show(true);
          await releaseLease(db, batch.id, this.owner);
          return true;
        }
      }
      if (batch.status === "settling") return await this.settle(batch, summary);
      await releaseLease(db, batch.id, this.owner);
      return true;
    } catch (error) {
      if (error instanceof Interrupted) {
        log.info({ batchId: batch.id, lost }, lost ? "lost a batch's lease; another replica goes on" : "stopping: a batch is left for later");
        if (!lost) {
          await summary.show(true);
          await releaseLease(db, batch.id, this.owner);
        }
        return false;
      }
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * A bulk run whose requests are all answered, waiting for the outcomes the engine reports later: finished when
   * none is running any more (or it waited too long), else parked until the next look; true when it finished.
   */
  private async settle(batch: BatchRecord, summary: { show(force: boolean): Promise<void> }): Promise<boolean> {
    const { db, clock } = this.deps;
    const changed = await settleRunOutcomes(db, batch.id, clock.now());
    const tally = await tallyMembers(db, batch.id);
    const waitedTooLong = clock.now().getTime() - batch.updatedAt.getTime() > MANUAL_RUN_STALE_AFTER_MS;
    if ((tally.outcomes.running ?? 0) === 0 || waitedTooLong) {
      await moveBatch(db, batch.id, ["settling"], "finished", clock.now(), { finishedAt: clock.now() });
      log.info({ batchId: batch.id, outcomes: tally.outcomes }, "batch finished");
      await summary.show(true);
      await releaseLease(db, batch.id, this.owner);
      return true;
    }
    if (changed > 0) await summary.show(false);
    // Wait for the engine's reports without holding the worker: the batch is parked until the next look.
    await parkLease(db, batch.id, this.owner, new Date(clock.now().getTime() + Math.max(this.timing.pollMs, this.timing.summaryIntervalMs)));
    return false;
  }

  /** The batch's requester as an actor, with their grants as they are now; null when they are no longer an operator. */
  private async requester(batch: BatchRecord): Promise<Actor | null> {
    const operator = await findOperatorByEmail(this.deps.db, batch.requestedBy);
    if (!operator) return null;
    return operatorActor(this.deps.db, operator, batch.requesterSlackUserId ? { slackUserId: batch.requesterSlackUserId } : {});
  }

  /**
   * Members a stopped process left in flight. A run member whose run id exists was claimed, and its request may have
   * gone out: it is never sent again; it takes the run's stored state (running until the engine reports, or the
   * runner's recovery closes it). A process killed with runs claimed ahead of its lanes (at most
   * CLAIM_AHEAD_PER_LANE per lane) left them recorded and never sent: they too are never sent, and the
   * interrupted-run recovery marks them failed. Without a run, nothing went out: it goes back to pending. A disable or enable
   * in flight changed nothing (the change and the member's end are one transaction): back to pending.
   */
  private async recover(batch: BatchRecord, actor: Actor): Promise<void> {
    const { db, clock } = this.deps;
    for (const member of await inFlightMembers(db, batch.id)) {
      if (batch.action === "run") {
        const runId = manualRunId(member.integrationId, batch.id);
        const run = await runState(db, runId);
        if (run) {
          await finishMember(db, batch.id, member.integrationId, { outcome: runOutcome(run.status), runId, detail: run.error }, clock.now());
          log.warn({ batchId: batch.id, integrationId: member.integrationId, runId }, "a run member left in flight was resolved from its run, not sent again");
          continue;
        }
      }
      await returnMember(db, batch.id, member.integrationId, clock.now());
    }
    void actor;
  }

  /**
   * Acts on the pending members with BULK_CONCURRENCY lanes, each with at most one member in hand. Members are
   * taken a chunk at a time; a run's lanes get runs claimed ahead of them and leave the engine's answers to be
   * stored in groups (see lanes.ts). Members taken but not acted on when it stops (runs claimed ahead withdrawn)
   * go back to pending, or when it was aborted end as aborted.
   */
  private async actOnPending(current: () => BatchRecord, state: { lost(): boolean; stopped(): boolean }, actor: Actor, summary: { show(force: boolean): Promise<void> }): Promise<void> {
    const { db, clock, config, runner } = this.deps;
    const batch = current();
    const scope = scopeFor(actor, BULK_NEED[batch.action]);
    const halt = () => state.lost() || state.stopped() || Boolean(current().abortedBy);
    const members = new TakenMembers(db, batch.id, clock);
    const answers = new RunAnswers({ db, clock, batchId: batch.id, actor });
    const lanes = Math.max(1, config.bulkConcurrency);
    const claimer = new RunClaimer({ db, clock, batchId: batch.id, actor, scope, members, stopped: halt, ahead: CLAIM_AHEAD_PER_LANE * lanes });
    const runLane = async () => {
      while (!halt()) {
        const next = await claimer.next();
        if (!next) return;
        if (next.kind === "alone") {
          await this.runAlone(batch, next.member, actor);
        } else {
          const answer = await runner.request({ id: next.run.runId, requestedBy: next.run.requestedBy }, next.run.integration, actor, next.run.flowTriggerUrl);
          const { integration } = next.run;
          await answers.add({ integrationId: integration.id, groupId: integration.groupId, runId: next.run.runId, startedAt: next.run.startedAt, status: answer.status, error: answer.error ?? null, at: clock.now() });
        }
        await summary.show(false);
      }
    };
    const changeLane = async () => {
      while (!halt()) {
        const [member] = await members.take(1);
        if (!member) return;
        await this.change(batch, member, actor, scope);
        await summary.show(false);
      }
    };
    const ended = await Promise.allSettled(Array.from({ length: lanes }, batch.action === "run" ? runLane : changeLane));
    await answers.flush();
    const unsent = await claimer.close();
    const left = [...unsent.alone.map((member) => member.integrationId), ...members.leftOver()];
    // Runs claimed ahead and never sent are taken back: on an abort their members end aborted, on a stop or a lost
    // lease they go back to pending and are acted on later, once (only members still in flight with that run).
    const withdraw = (reason: string, end: Parameters<typeof withdrawMemberRuns>[1]["end"]) =>
      withdrawMemberRuns(db, { batchId: batch.id, runs: unsent.claimed.map(({ run }) => run), actor, reason, end, now: clock.now() });
    if (state.lost()) {
      await withdraw("the batch's lease was lost", "pending");
    } else {
      // Read again: an abort is seen by the claim and before a run claimed ahead is sent, by the lease's renewal
      // only up to a second later.
      const abortedBy = (await findBatch(db, batch.id))?.abortedBy;
      if (abortedBy) {
        await withdraw(`aborted by ${abortedBy}`, { outcome: "aborted", detail: `aborted by ${abortedBy}` });
        await closeTaken(db, batch.id, left, "aborted", `aborted by ${abortedBy}`, clock.now());
        await closePending(db, batch.id, "aborted", `aborted by ${abortedBy}`, clock.now());
      } else {
        await withdraw(state.stopped() ? "the bot stopped" : "the batch's lanes stopped on an error", "pending");
        if (left.length) await returnMembers(db, batch.id, left, clock.now());
      }
    }
    const failed = ended.find((lane): lane is PromiseRejectedResult => lane.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** A member the grouped claim could not take (a run held, disabled or deleted meanwhile): claimed on its own. */
  private async runAlone(batch: BatchRecord, member: BatchMemberRecord, actor: Actor): Promise<void> {
    const { db, clock, runner } = this.deps;
    const finish = (outcome: Parameters<typeof finishMember>[3]) => finishMember(db, batch.id, member.integrationId, outcome, clock.now());
    try {
      const claim = await runner.claim({ integrationId: member.integrationId, actor, requestKey: batch.id });
      switch (claim.kind) {
        case "claimed": {
          const stored = await runner.send(claim.run, claim.integration, actor);
          await finish({ outcome: runOutcome(stored.status), runId: stored.id, detail: stored.error ?? null });
          return;
        }
        case "duplicate":
          await finish({ outcome: runOutcome(claim.run.status), runId: claim.run.id, detail: claim.run.error ?? null });
          return;
        case "running":
          await finish({ outcome: "skipped", detail: `a manual run is still running (${claim.run.id})` });
          return;
        case "disabled":
          await finish({ outcome: "skipped", detail: "disabled meanwhile" });
          return;
        case "missing":
          await finish({ outcome: "skipped", detail: "deleted meanwhile" });
          return;
      }
    } catch (error) {
      log.error({ err: error, batchId: batch.id, integrationId: member.integrationId }, "a batch member failed");
      await finish({ outcome: "skipped", detail: "could not be done (see the bot's log)" }).catch(() => undefined);
    }
  }

  /** Disables or enables one taken member; its change and its end are one transaction. */
  private async change(batch: BatchRecord, member: BatchMemberRecord, actor: Actor, scope: GroupScope): Promise<void> {
    const { db, clock } = this.deps;
    try {
      if (!inScope(scope, member.groupId)) {
        await finishMember(db, batch.id, member.integrationId, { outcome: "skipped", detail: "the requester may no longer act on its group" }, clock.now());
        return;
      }
      const status = batch.action === "disable" ? "disabled" : "enabled";
      // An undo of a disable puts each member's reason back; an ordinary enable clears it.
      const reason = batch.action === "disable" ? batch.reason : null;
      const restoreReason = batch.undoOf && batch.action === "disable" ? member.previousReason : reason;
      await changeMemberStatus(db, {
        batchId: batch.id,
        integrationId: member.integrationId,
        status,
        actor,
        reason: restoreReason,
        auditDetail: `${batch.id}${restoreReason ? `: ${restoreReason}` : ""}`,
        at: clock.now(),
      });
    } catch (error) {
      log.error({ err: error, batchId: batch.id, integrationId: member.integrationId }, "a batch member failed");
      await finishMember(db, batch.id, member.integrationId, { outcome: "skipped", detail: "could not be done (see the bot's log)" }, clock.now()).catch(() => undefined);
    }
  }

  /** The batch's summary message, updated at most every summaryIntervalMs (and always when forced). */
  private summary(batchId: string): { show(force: boolean): Promise<void> } {
    const { db, messages } = this.deps;
    let last = 0;
    let showing: Promise<void> = Promise.resolve();
    return {
      show: (force: boolean) => {
        const at = Date.now();
        if (!force && at - last < this.timing.summaryIntervalMs) return Promise.resolve();
        last = at;
        // One after another, so an older count never overwrites a newer one.
        showing = showing.then(async () => {
          try {
            const batch = await findBatch(db, batchId);
            if (!batch?.channel || !batch.messageTs) return;
            const { pricePerRun, currency } = this.deps.config;
            const doc = presentBatchSummary(await batchSummaryView(db, batch, { pricePerRun, currency, now: this.deps.clock.now() }));
            this.summaryUpdates += 1;
            await messages.update({ channel: batch.channel, ts: batch.messageTs }, doc);
          } catch (error) {
            log.warn({ err: error, batchId }, "could not update a batch's summary");
          }
        });
        return force ? showing : Promise.resolve();
      },
    };
  }
}
