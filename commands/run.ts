import { recordAudit } from "../src/data/audit.ts";
import type { RunClaim } from "../src/data/manual-runs.ts";
import type { IntegrationRecord } from "../src/data/records.ts";
import { can } from "../src/domain/permissions.ts";
import { notFound } from "../src/errors.ts";
import { log } from "../src/log.ts";
import { DOUBLE_CLICK_WINDOW_MS } from "../src/runner/runner.ts";
import { defineTargetedCommand, type CommandContext } from "../src/slash/command.ts";
import type { MessageRef, Reply } from "../src/reply/messages.ts";
import { requesterMarkup } from "../src/slack/presenters/format.ts";
import { presentRunAnnouncement } from "../src/slack/presenters/run-announcement.ts";
import { presentRunInFlight, presentRunnerNotConfigured, presentRunOfDisabled, presentRunRequested } from "../src/slack/presenters/run-replies.ts";

/** The answer to `run` of a disabled integration, audited: nothing is sent. */
async function refuseDisabled(ctx: CommandContext, integration: IntegrationRecord): Promise<Reply> {
  await recordAudit(ctx.db, { actor: ctx.actor, action: "run", targetId: integration.id, groupId: integration.groupId, outcome: "noop", detail: "not run: the integration is disabled", at: ctx.clock.now() });
  return {
    visibility: "ephemeral",
    doc: presentRunOfDisabled({ integration, slashCommand: ctx.slashCommand, canEnable: can(ctx.actor, "manage", integration.groupId), timeZone: ctx.config.timeZone }),
  };
}

/**
 * Announces a claimed run in the channel (or, where the bot cannot post, through the request's response_url),
 * then sends its request in the background; says where the announcement went.
 */
async function announceAndSend(ctx: CommandContext, claimed: Extract<RunClaim, { kind: "claimed" }>): Promise<"channel" | "here"> {
  const { runner, messages, background } = ctx.services;
  const announcement = presentRunAnnouncement({
    integration: claimed.integration,
    run: claimed.run,
    requester: requesterMarkup(ctx.actor),
    timeZone: ctx.config.timeZone,
    now: ctx.clock.now(),
  });
  // The console and the CLI have no channel: their "channel" is the output.
  const channel = ctx.origin.channelId ?? (ctx.origin.transport === "slack" ? undefined : ctx.origin.transport);
  let ref: MessageRef | undefined;
  if (channel) {
    try {
      ref = await messages.post(channel, announcement);
      await runner.attachMessage(claimed.run.id, { ref });
    } catch (error) {
      // Not in the channel (a DM, a private channel): announce through the response_url instead.
      log.warn({ err: error, channel, runId: claimed.run.id }, "could not post a run's announcement to the channel");
      ref = undefined;
    }
  }
  const responseUrl = !ref && ctx.origin.responseUrl && messages.respond ? ctx.origin.responseUrl : undefined;
  if (responseUrl) await runner.attachMessage(claimed.run.id, { responseUrl });
  const actor = ctx.actor;
  background.track(`run ${claimed.run.id}`, async () => {
    if (responseUrl) await messages.respond?.(responseUrl, { visibility: "in_channel", doc: announcement });
    await runner.send(claimed.run, claimed.integration, actor);
  });
  return ref ? "channel" : "here";
}

/**
 * `run ID`: records a manual run, announces it in the channel at once ("Run of X requested by @y"),
 * sends the signed run request in the background and updates that message with the outcome.
 * One manual run at a time per integration; a retried or double-clicked request sends nothing more.
 */
export const run = defineTargetedCommand({
  name: "run",
  usage: "run ID | run FILTERS…",
  summary: "Run an integration now; the outcome shows in the channel.",
  need: "run",
  changes: true,
  arguments: { positional: ["ID"] },
  async execute(ctx) {
    const integration = ctx.integration;
    const { runner } = ctx.services;
    if (integration.status === "disabled") return refuseDisabled(ctx, integration);
    if (!runner.configured) {
      await recordAudit(ctx.db, { actor: ctx.actor, action: "run", targetId: integration.id, groupId: integration.groupId, outcome: "error", detail: "not sent: RUNNER_SIGNING_SECRET is not set", at: ctx.clock.now() });
      return { visibility: "ephemeral", doc: presentRunnerNotConfigured(integration) };
    }

    const claim = await runner.claim({ integrationId: integration.id, actor: ctx.actor, requestKey: ctx.origin.triggerId, doubleClickWindowMs: DOUBLE_CLICK_WINDOW_MS });
    switch (claim.kind) {
      case "missing":
        throw notFound(`No integration \`${integration.id}\` any more.`);
      case "disabled":
        return refuseDisabled(ctx, claim.integration);
      case "running":
      case "duplicate": {
        if (claim.kind === "running") {
          await recordAudit(ctx.db, { actor: ctx.actor, action: "run", targetId: integration.id, groupId: integration.groupId, outcome: "noop", detail: `not sent: ${claim.run.id} is still running`, at: ctx.clock.now() });
        }
        return {
          visibility: "ephemeral",
          doc: presentRunInFlight({ integration, run: claim.run, duplicate: claim.kind === "duplicate", now: ctx.clock.now(), timeZone: ctx.config.timeZone }),
        };
      }
      case "claimed":
        break;
    }

    const where = await announceAndSend(ctx, claim);
    return { visibility: "ephemeral", doc: presentRunRequested({ integration, runId: claim.run.id, where }) };
  },
});
