import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import type { FlowRunRecord, IntegrationRecord } from "../data/records.ts";
import { findRun } from "../data/flow-runs.ts";
import { attachRunMessage, claimManualRun, flowTriggerUrl, recordManualRunOutcome, type RunClaim } from "../data/manual-runs.ts";
import { actorLabel, type Actor } from "../domain/permissions.ts";
import { log } from "../log.ts";
import { runRequestsTotal } from "../metrics.ts";
import type { ChannelMessages, MessageRef } from "../reply/messages.ts";
import { announceRunOutcomes, runRequestDetail } from "./run-outcome.ts";
import { sendRunRequest, type RunRequestOutcome } from "./run-request.ts";

/** Two `run` requests of one person for one integration this close together are one double click. */
export const DOUBLE_CLICK_WINDOW_MS = 5_000;

/** A manual run still `running` after this long no longer blocks the next one (its engine never reported back). */
export const MANUAL_RUN_STALE_AFTER_MS = 24 * 60 * 60_000;

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
  /**
   * Sends a claimed run's request and answers how the engine answered, recording nothing: for a caller that
   * stores many outcomes at once (a bulk run). `flowTriggerUrl` spares the look-up of the flow's URL. Never throws.
   */
  request(run: Pick<FlowRunRecord, "id" | "requestedBy">, integration: IntegrationRecord, actor: Actor, flowTriggerUrl?: string | null): Promise<RunRequestOutcome>;
}

/** What the runner needs. */
interface RunnerDeps {
  db: Database;
  config: Config;
  clock: Clock;
  messages: ChannelMessages;
}

/** A run id: derived from the Slack request when there is one, so a retry of that request finds its run. */
export function manualRunId(integrationId: string, requestKey?: string): string {
  if (!requestKey) return `run_${randomUUID().replace(/-/g, "")}`;
  return `run_${createHash("sha256").update(`${requestKey}\n${integrationId}`).digest("hex").slice(0, 32)}`;
}

/** Builds the runner over the database and Slack messages. */
export function createRunner(deps: RunnerDeps): Runner {
  // Stays long: claim, attach, send and safeSend close over the same dependencies; each is short.
  const { db, config, clock } = deps;

  async function claim(options: ClaimOptions): Promise<RunClaim> {
    const runId = manualRunId(options.integrationId, options.requestKey);
    return claimManualRun(db, {
      integrationId: options.integrationId,
      runId,
      actor: options.actor,
      requestedBy: actorLabel(options.actor),
      now: clock.now(),
      doubleClickWindowMs: options.doubleClickWindowMs,
      staleAfterMs: MANUAL_RUN_STALE_AFTER_MS,
      auditDetail: runRequestDetail(runId),
    });
  }

  async function attachMessage(runId: string, where: { ref?: MessageRef; responseUrl?: string }): Promise<void> {
    await attachRunMessage(db, runId, where);
  }

  async function request(run: Pick<FlowRunRecord, "id" | "requestedBy">, integration: IntegrationRecord, actor: Actor, flowUrl?: string | null): Promise<RunRequestOutcome> {
    const outcome = config.runnerSigningSecret
      ? await sendRunRequest({
          runId: run.id,
          integration,
          triggerUrl: integration.triggerUrl ?? (flowUrl === undefined ? await flowTriggerUrl(db, integration.flowId) : flowUrl) ?? undefined,
          requestedBy: run.requestedBy ?? actorLabel(actor),
          secret: config.runnerSigningSecret,
          timeoutMs: config.runnerTimeoutMs,
          now: clock.now(),
        })
      : ({ status: "error", error: "Not sent: RUNNER_SIGNING_SECRET is not set on the bot." } as const);
    runRequestsTotal.inc({ outcome: outcome.status });
    log.info({ integrationId: integration.id, runId: run.id, status: outcome.status, reason: outcome.error }, "run request answered");
    return outcome;
  }

  async function send(run: FlowRunRecord, integration: IntegrationRecord, actor: Actor): Promise<FlowRunRecord> {
    const outcome = await request(run, integration, actor);
    const stored = await recordManualRunOutcome(db, { run, integration, actor, status: outcome.status, error: outcome.error, now: clock.now() });
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
      return (await findRun(db, run.id)) ?? run;
    }
  }

  return {
    get configured() {
      return Boolean(config.runnerSigningSecret);
    },
    claim,
    attachMessage,
    send: safeSend,
    async request(run, integration, actor, flowUrl) {
      try {
        return await request(run, integration, actor, flowUrl);
      } catch (error) {
        log.error({ err: error, runId: run.id, integrationId: integration.id }, "could not send a run request");
        return { status: "error", error: "Not sent: the bot could not build the request (see its log)." };
      }
    },
  };
}
