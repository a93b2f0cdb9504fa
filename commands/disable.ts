import { setIntegrationStatus } from "../src/data/integration-status.ts";
import { lastErrors, runsSince } from "../src/data/receipts.ts";
import { MAX_REASON_LENGTH, RECEIPT_DAYS, runCost } from "../src/domain/bulk.ts";
import { can } from "../src/domain/permissions.ts";
import { badInput } from "../src/errors.ts";
import { defineTargetedCommand, type CommandContext } from "../src/slash/command.ts";
import { presentStatusChange } from "../src/slack/presenters/status-change.ts";
import { requesterMarkup } from "../src/slack/presenters/format.ts";

/** A disable's receipt: the integration's last three errors, its runs of the last 30 days and their cost. */
async function disableReceipt(ctx: CommandContext, integrationId: string) {
  const since = new Date(ctx.clock.now().getTime() - RECEIPT_DAYS * 86_400_000);
  const [errors, runs30d] = await Promise.all([lastErrors(ctx.db, integrationId, 3), runsSince(ctx.db, [integrationId], since)]);
  return { lastErrors: errors.map((e) => ({ at: e.startedAt, error: e.error })), runs30d, cost: runCost(runs30d, ctx.config.pricePerRun), currency: ctx.config.currency };
}

/** `disable ID [reason…]`: stops an integration from running, recording who, when and why; visible in the channel. */
export const disable = defineTargetedCommand({
  name: "disable",
  usage: "disable ID [reason…] | disable FILTERS… [reason:TEXT]",
  summary: "Disable an integration (it stops running), recording who, when and why.",
  need: "manage",
  changes: true,
  arguments: { positional: ["ID"], rest: true, restIsText: true },
  async execute(ctx, args) {
    const reason = args.rest.join(" ").trim();
    if (reason.length > MAX_REASON_LENGTH) {
      throw badInput(`The reason is ${reason.length} characters long; keep it to ${MAX_REASON_LENGTH}. Nothing was changed.`);
    }
    const change = await setIntegrationStatus(ctx.db, {
      integrationId: ctx.integration.id,
      status: "disabled",
      actor: ctx.actor,
      reason: reason || null,
      at: ctx.clock.now(),
    });
    const rights = { canRun: can(ctx.actor, "run", change.integration.groupId), canManage: true };
    const receipt = change.changed ? await disableReceipt(ctx, change.integration.id) : undefined;
    return {
      visibility: change.changed ? "in_channel" : "ephemeral",
      doc: presentStatusChange({ integration: change.integration, changed: change.changed, actor: requesterMarkup(ctx.actor), timeZone: ctx.config.timeZone, rights, receipt }),
    };
  },
});
