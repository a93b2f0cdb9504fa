import { setIntegrationStatus } from "../src/data/integration-status.ts";
import { can } from "../src/domain/permissions.ts";
import { badInput } from "../src/errors.ts";
import type { Command } from "../src/slash/command.ts";
import { presentStatusChange } from "../src/slack/presenters/status-change.ts";
import { requesterMarkup } from "../src/slack/presenters/format.ts";

/** The longest reason kept with a disable. */
const MAX_REASON_LENGTH = 500;

/** `disable ID [reason…]`: stops an integration from running, recording who, when and why; visible in the channel. */
export const disable: Command = {
  name: "disable",
  usage: "disable ID [reason…]",
  summary: "Disable an integration (it stops running), recording who, when and why.",
  need: "manage",
  changes: true,
  arguments: { positional: ["ID"], rest: true, restIsText: true },
  target: (args) => args.positional[0]!,
  async execute(ctx, args) {
    const reason = args.rest.join(" ").trim();
    if (reason.length > MAX_REASON_LENGTH) {
      throw badInput(`The reason is ${reason.length} characters long; keep it to ${MAX_REASON_LENGTH}. Nothing was changed.`);
    }
    const change = await setIntegrationStatus(ctx.db, {
      integrationId: ctx.integration!.id,
      status: "disabled",
      actor: ctx.actor,
      reason: reason || null,
      at: ctx.clock.now(),
    });
    const rights = { canRun: can(ctx.actor, "run", change.integration.groupId), canManage: true };
    return {
      visibility: change.changed ? "in_channel" : "ephemeral",
      doc: presentStatusChange({ integration: change.integration, changed: change.changed, actor: requesterMarkup(ctx.actor), timeZone: ctx.config.timeZone, rights }),
    };
  },
};
