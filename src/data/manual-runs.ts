import { Op } from "sequelize";
import type { Actor } from "../domain/permissions.ts";
import { log } from "../log.ts";
import { recordAudit } from "./audit.ts";
import type { Database } from "./database.ts";
import { recordRuns, RUN_INTERRUPTED_ERROR } from "./flow-runs.ts";
import { plain } from "./models/index.ts";
import type { FlowRunRecord, IntegrationRecord, RunStatus } from "./records.ts";

/** The outcome of claiming an integration's manual run. */
export type RunClaim =
  /** The run is recorded as `running` and is this request's to send. */
  | { kind: "claimed"; run: FlowRunRecord; integration: IntegrationRecord }
  /** Another manual run of the integration is still running: nothing to send. */
  | { kind: "running"; run: FlowRunRecord }
  /** This very request (a Slack retry, a double click) was handled already: nothing to send. */
  | { kind: "duplicate"; run: FlowRunRecord }
  | { kind: "disabled"; integration: IntegrationRecord }
  | { kind: "missing" };

/** One claim of a manual run, with everything decided by the caller. */
interface ManualRunClaim {
  integrationId: string;
  runId: string;
  actor: Actor;
  /** The actor's label, stored on the run. */
  requestedBy: string;
  now: Date;
  /** A finished manual run of the same person this recent counts as this very request (a double click on `Run`). */
  doubleClickWindowMs?: number;
  /** A manual run still `running` after this long no longer blocks the next one. */
  staleAfterMs: number;
  /** The audit detail of the request. */
  auditDetail: string;
}

const FINISHED: ReadonlySet<RunStatus> = new Set(["success", "error"]);

/**
 * Claims the integration's manual run (one at a time, atomically) and records it as `running`, audited as
 * requested by the actor, in one transaction. A run id claimed before is a duplicate and claims nothing.
 */
export async function claimManualRun(db: Database, options: ManualRunClaim): Promise<RunClaim> {
  const { Integration: Integrations, FlowRun: FlowRuns } = db.models;
  const { runId, now } = options;
  return db.sequelize.transaction(async (transaction): Promise<RunClaim> => {
    const existing = await FlowRuns.findByPk(runId, { transaction });
    if (existing) return { kind: "duplicate", run: plain(existing) };
    if (options.doubleClickWindowMs) {
      const justAsked = await FlowRuns.findOne({
        where: {
          integrationId: options.integrationId,
          trigger: "manual",
          requestedBy: options.requestedBy,
          startedAt: { [Op.gt]: new Date(now.getTime() - options.doubleClickWindowMs) },
        },
        order: [["startedAt", "DESC"]],
        transaction,
      });
      if (justAsked && FINISHED.has(justAsked.status)) return { kind: "duplicate", run: plain(justAsked) };
    }

    // The claim: one conditional UPDATE, so of two requests at once exactly one wins the integration.
    let [claimed] = await Integrations.update(
      { manualRunId: runId },
      { where: { id: options.integrationId, manualRunId: null, status: "enabled" }, transaction },
    );
    if (claimed === 0) {
      const integration = await Integrations.findByPk(options.integrationId, { transaction });
      if (!integration) return { kind: "missing" };
      if (integration.status !== "enabled") return { kind: "disabled", integration: plain(integration) };
      const heldId = integration.manualRunId;
      const held = heldId ? await FlowRuns.findByPk(heldId, { transaction }) : null;
      if (held && held.id === runId) return { kind: "duplicate", run: plain(held) };
      const stale = !held || FINISHED.has(held.status) || now.getTime() - held.startedAt.getTime() > options.staleAfterMs;
      if (held && !stale) return { kind: "running", run: plain(held) };
      [claimed] = await Integrations.update({ manualRunId: runId }, { where: { id: options.integrationId, manualRunId: heldId, status: "enabled" }, transaction });
      if (claimed === 0) {
        const again = await Integrations.findByPk(options.integrationId, { transaction });
        const nowHeld = again?.manualRunId ? await FlowRuns.findByPk(again.manualRunId, { transaction }) : null;
        if (nowHeld) return { kind: "running", run: plain(nowHeld) };
        return again ? { kind: "disabled", integration: plain(again) } : { kind: "missing" };
      }
      log.warn({ integrationId: options.integrationId, staleRunId: heldId }, "a manual run that never finished no longer blocks the integration");
    }
    await recordRuns(db, [{ id: runId, integrationId: options.integrationId, status: "running", trigger: "manual", startedAt: now, requestedBy: options.requestedBy }], transaction, now);
    const slackUserId = options.actor.kind === "operator" ? options.actor.slackUserId : undefined;
    if (slackUserId) await FlowRuns.update({ requestedBySlackUserId: slackUserId }, { where: { id: runId }, transaction });
    const integration = (await Integrations.findByPk(options.integrationId, { transaction }))!;
    await recordAudit(db, { actor: options.actor, action: "run", targetId: integration.id, groupId: integration.groupId, outcome: "ok", detail: options.auditDetail, at: now }, transaction);
    const run = (await FlowRuns.findByPk(runId, { transaction }))!;
    return { kind: "claimed", run: plain(run), integration: plain(integration) };
  });
}

/** Links a run to the Slack message that announced it (or the response_url to answer through). */
export async function attachRunMessage(db: Database, runId: string, where: { ref?: { channel: string; ts: string }; responseUrl?: string }): Promise<void> {
  await db.models.FlowRun.update(
    where.ref ? { slackChannel: where.ref.channel, slackTs: where.ref.ts } : { slackResponseUrl: where.responseUrl ?? null },
    { where: { id: runId } },
  );
}

/** The trigger URL of an embed flow, if it has one. */
export async function flowTriggerUrl(db: Database, flowId: string): Promise<string | null> {
  const flow = await db.models.EmbedFlow.findByPk(flowId, { attributes: ["id", "triggerUrl"] });
  return flow?.triggerUrl ?? null;
}

/** How the flow engine answered a run request. */
interface ManualRunOutcome {
  run: Pick<FlowRunRecord, "id" | "startedAt">;
  integration: Pick<IntegrationRecord, "id" | "groupId">;
  actor: Actor;
  status: RunStatus;
  error?: string;
  now: Date;
}

/** Stores a run request's answer on the run and in the audit log, in one transaction; returns the stored run. */
export async function recordManualRunOutcome(db: Database, outcome: ManualRunOutcome): Promise<FlowRunRecord> {
  const { run, integration, now } = outcome;
  const finished = outcome.status !== "running";
  return db.sequelize.transaction(async (transaction) => {
    await recordRuns(
      db,
      [{ id: run.id, integrationId: integration.id, status: outcome.status, startedAt: run.startedAt, finishedAt: finished ? now : null, error: outcome.error ?? null }],
      transaction,
      now,
    );
    await recordAudit(
      db,
      {
        actor: outcome.actor,
        action: "run",
        targetId: integration.id,
        groupId: integration.groupId,
        outcome: outcome.status === "error" ? "error" : "ok",
        detail: `${run.id}: ${outcome.status === "running" ? "accepted by the flow engine" : outcome.status}${outcome.error ? `: ${outcome.error}` : ""}`,
        at: now,
      },
      transaction,
    );
    // Any answer at all: the run is the engine's now (or finished), never "interrupted".
    await db.models.FlowRun.update({ engineAnsweredAt: now }, { where: { id: run.id, engineAnsweredAt: { [Op.is]: null } }, transaction });
    return plain((await db.models.FlowRun.findByPk(run.id, { transaction }))!);
  });
}

/**
 * The guarded transition of manual runs whose request was cut off (the bot died while the engine held it):
 * every manual run still `running`, started before `startedBefore`, that the engine never answered, becomes
 * `error` with RUN_INTERRUPTED_ERROR, freeing its integration. Each run is checked again under its
 * integration's lock (the lock POST /api/runs takes too), so a run that moved on meanwhile is never touched;
 * a later report from the engine still replaces the error. Returns the runs it marked.
 */
export async function markInterruptedManualRuns(db: Database, options: { startedBefore: Date; now: Date; limit?: number }): Promise<FlowRunRecord[]> {
  const { FlowRun: FlowRuns, Integration: Integrations } = db.models;
  const candidates = await FlowRuns.findAll({
    attributes: ["id", "integrationId"],
    where: { trigger: "manual", status: "running", engineAnsweredAt: { [Op.is]: null }, startedAt: { [Op.lt]: options.startedBefore } },
    order: [["startedAt", "ASC"]],
    limit: options.limit ?? 200,
  });
  const marked: FlowRunRecord[] = [];
  for (const candidate of candidates) {
    const run = await db.sequelize.transaction(async (transaction) => {
      await Integrations.findByPk(candidate.integrationId, { attributes: ["id"], transaction, lock: db.dialect === "postgres" });
      const current = await FlowRuns.findByPk(candidate.id, { transaction });
      if (!current || current.status !== "running" || current.engineAnsweredAt || current.startedAt >= options.startedBefore) return undefined;
      const recorded = await recordRuns(
        db,
        [{ id: current.id, integrationId: current.integrationId, status: "error", startedAt: current.startedAt, finishedAt: options.now, error: RUN_INTERRUPTED_ERROR }],
        transaction,
        options.now,
      );
      return recorded.changedManualRuns[0];
    });
    if (run) {
      log.warn({ runId: run.id, integrationId: run.integrationId }, "a manual run was interrupted by the bot stopping; marked error");
      marked.push(run);
    }
  }
  return marked;
}
