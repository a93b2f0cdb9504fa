import { createHash, randomUUID } from "node:crypto";
import { Op } from "sequelize";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { recordAudit } from "../data/audit.ts";
import type { Database } from "../data/database.ts";
import type { FlowRunRecord, IntegrationRecord } from "../data/records.ts";
import { recordRuns } from "../data/flow-runs.ts";
import { actorLabel, type Actor } from "../domain/permissions.ts";
import { log } from "../log.ts";
import { runRequestsTotal } from "../metrics.ts";
import type { ChannelMessages, MessageRef } from "../slash/command.ts";
import { announceRunOutcomes, runRequestDetail } from "./run-outcome.ts";
import { sendRunRequest } from "./run-request.ts";

/** Two `run` requests of one person for one integration this close together are one double click. */
export const DOUBLE_CLICK_WINDOW_MS = 5_000;

/** A manual run still `running` after this long no longer blocks the next one (its engine never reported back). */
export const MANUAL_RUN_STALE_AFTER_MS = 24 * 60 * 60_000;

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

/** What a claim is for. */
export interface ClaimOptions {
  integrationId: string;
  actor: Actor;
  /** Unique to the Slack request (its trigger_id): a retry of that request claims nothing. */
  requestKey?: string;
  /** A finished manual run of the same person this recent counts as this very request (a double click on `Run`). */
  doubleClickWindowMs?: number;
}

/** Sends manual runs to the flow engine: claim one at a time per integration, send, record the outcome. */
export interface Runner {
  /** True when RUNNER_SIGNING_SECRET is set, so run requests can be signed. */
  readonly configured: boolean;
  /**
   * Claims the integration's manual run (one at a time, atomically) and records it as `running`, audited as
   * requested by the actor. `requestKey` (Slack's trigger_id) makes a retried request claim nothing.
   */
  claim(options: ClaimOptions): Promise<RunClaim>;
  /** Links a run to the Slack message that announced it, so its outcome updates that message. */
  attachMessage(runId: string, where: { ref?: MessageRef; responseUrl?: string }): Promise<void>;
  /** Sends a claimed run's request, records and announces the outcome; resolves with the stored run. Never throws. */
  send(run: FlowRunRecord, integration: IntegrationRecord, actor: Actor): Promise<FlowRunRecord>;
}

/** What the runner needs. */
export interface RunnerDeps {
  db: Database;
  config: Config;
  clock: Clock;
  messages: ChannelMessages;
}

const FINISHED = new Set(["success", "error"]);

/** A run id: derived from the Slack request when there is one, so a retry of that request finds its run. */
export function manualRunId(integrationId: string, requestKey?: string): string {
  if (!requestKey) return `run_${randomUUID().replace(/-/g, "")}`;
  return `run_${createHash("sha256").update(`${requestKey}\n${integrationId}`).digest("hex").slice(0, 32)}`;
}

/** Builds the runner over the database and Slack messages. */
export function createRunner(deps: RunnerDeps): Runner {
  const { db, config, clock } = deps;
  const { Integration: Integrations, FlowRun: FlowRuns } = db.models;

  async function claim(options: ClaimOptions): Promise<RunClaim> {
    const now = clock.now();
    const runId = manualRunId(options.integrationId, options.requestKey);
    const requestedBy = actorLabel(options.actor);
    return db.sequelize.transaction(async (transaction): Promise<RunClaim> => {
      const existing = await FlowRuns.findByPk(runId, { transaction });
      if (existing) return { kind: "duplicate", run: existing };
      if (options.doubleClickWindowMs) {
        const justAsked = await FlowRuns.findOne({
          where: {
            integrationId: options.integrationId,
            trigger: "manual",
            requestedBy,
            startedAt: { [Op.gt]: new Date(now.getTime() - options.doubleClickWindowMs) },
          },
          order: [["startedAt", "DESC"]],
          transaction,
        });
        if (justAsked && FINISHED.has(justAsked.status)) return { kind: "duplicate", run: justAsked };
      }

      // The claim: one conditional UPDATE, so of two requests at once exactly one wins the integration.
      let [claimed] = await Integrations.update(
        { manualRunId: runId },
        { where: { id: options.integrationId, manualRunId: null, status: "enabled" }, transaction },
      );
      if (claimed === 0) {
        const integration = await Integrations.findByPk(options.integrationId, { transaction });
        if (!integration) return { kind: "missing" };
        if (integration.status !== "enabled") return { kind: "disabled", integration };
        const heldId = integration.manualRunId;
        const held = heldId ? await FlowRuns.findByPk(heldId, { transaction }) : null;
        if (held && held.id === runId) return { kind: "duplicate", run: held };
        const stale = !held || FINISHED.has(held.status) || now.getTime() - held.startedAt.getTime() > MANUAL_RUN_STALE_AFTER_MS;
        if (held && !stale) return { kind: "running", run: held };
        [claimed] = await Integrations.update({ manualRunId: runId }, { where: { id: options.integrationId, manualRunId: heldId, status: "enabled" }, transaction });
        if (claimed === 0) {
          const again = await Integrations.findByPk(options.integrationId, { transaction });
          const nowHeld = again?.manualRunId ? await FlowRuns.findByPk(again.manualRunId, { transaction }) : null;
          if (nowHeld) return { kind: "running", run: nowHeld };
          return again ? { kind: "disabled", integration: again } : { kind: "missing" };
        }
        log.warn({ integrationId: options.integrationId, staleRunId: heldId }, "a manual run that never finished no longer blocks the integration");
      }
      await recordRuns(db, [{ id: runId, integrationId: options.integrationId, status: "running", trigger: "manual", startedAt: now, requestedBy }], transaction, now);
      const integration = (await Integrations.findByPk(options.integrationId, { transaction }))!;
      await recordAudit(db, { actor: options.actor, action: "run", targetId: integration.id, groupId: integration.groupId, outcome: "ok", detail: runRequestDetail(runId), at: now }, transaction);
      const run = (await FlowRuns.findByPk(runId, { transaction }))!;
      return { kind: "claimed", run, integration };
    });
  }

  async function attachMessage(runId: string, where: { ref?: MessageRef; responseUrl?: string }): Promise<void> {
    await FlowRuns.update(
      where.ref ? { slackChannel: where.ref.channel, slackTs: where.ref.ts } : { slackResponseUrl: where.responseUrl ?? null },
      { where: { id: runId } },
    );
  }

  async function send(run: FlowRunRecord, integration: IntegrationRecord, actor: Actor): Promise<FlowRunRecord> {
    const flow = await db.models.EmbedFlow.findByPk(integration.flowId, { attributes: ["id", "triggerUrl"] });
    const outcome = config.runnerSigningSecret
      ? await sendRunRequest({
          runId: run.id,
          integration,
          triggerUrl: integration.triggerUrl ?? flow?.triggerUrl ?? undefined,
          requestedBy: run.requestedBy ?? actorLabel(actor),
          secret: config.runnerSigningSecret,
          timeoutMs: config.runnerTimeoutMs,
          now: clock.now(),
        })
      : ({ status: "error", error: "Not sent: RUNNER_SIGNING_SECRET is not set on the bot." } as const);
    runRequestsTotal.inc({ outcome: outcome.status });
    log.info({ integrationId: integration.id, runId: run.id, status: outcome.status, reason: outcome.error }, "run request answered");
    const now = clock.now();
    const finished = outcome.status !== "running";
    const stored = await db.sequelize.transaction(async (transaction) => {
      await recordRuns(
        db,
        [{ id: run.id, integrationId: integration.id, status: outcome.status, startedAt: run.startedAt, finishedAt: finished ? now : null, error: outcome.error ?? null }],
        transaction,
        now,
      );
      await recordAudit(
        db,
        {
          actor,
          action: "run",
          targetId: integration.id,
          groupId: integration.groupId,
          outcome: outcome.status === "error" ? "error" : "ok",
          detail: `${run.id}: ${outcome.status === "running" ? "accepted by the flow engine" : outcome.status}${outcome.error ? `: ${outcome.error}` : ""}`,
          at: now,
        },
        transaction,
      );
      return (await FlowRuns.findByPk(run.id, { transaction }))!;
    });
    try {
      await announceRunOutcomes({ db, config, clock, services: { messages: deps.messages } }, [stored]);
    } catch (error) {
      log.warn({ err: error, runId: run.id }, "could not announce a run's outcome");
    }
    return stored;
  }

  async function safeSend(run: FlowRunRecord, integration: IntegrationRecord, actor: Actor): Promise<FlowRunRecord> {
    try {
      return await send(run, integration, actor);
    } catch (error) {
      // The request went out (or not), but its outcome could not be stored: say so in the log, keep the run.
      log.error({ err: error, runId: run.id, integrationId: integration.id }, "could not record a run request's outcome");
      return (await FlowRuns.findByPk(run.id)) ?? run;
    }
  }

  return {
    get configured() {
      return Boolean(config.runnerSigningSecret);
    },
    claim,
    attachMessage,
    send: safeSend,
  };
}
