import { setIntegrationStatus } from "../src/data/integration-status.ts";
import { can } from "../src/domain/permissions.ts";
import { defineTargetedCommand } from "../src/slash/command.ts";
import { presentStatusChange } from "../src/slack/presenters/status-change.ts";
import { requesterMarkup } from "../src/slack/presenters/format.ts";

/** `enable ID`: lets a disabled integration run on its trigger again; visible in the channel. */
export const enable = defineTargetedCommand({
  name: "enable",
  usage: "enable ID | enable FILTERS…",
  summary: "Enable an integration again.",
  need: "manage",
  changes: true,
  arguments: { positional: ["ID"] },
  async execute(ctx) {
    const change = await setIntegrationStatus(ctx.db, {
      integrationId: ctx.integration.id,
      status: "enabled",
      actor: ctx.actor,
      at: ctx.clock.now(),
    });
    const rights = { canRun: can(ctx.actor, "run", change.integration.groupId), canManage: true };
    return {
      visibility: change.changed ? "in_channel" : "ephemeral",
      doc: presentStatusChange({ integration: change.integration, changed: change.changed, actor: requesterMarkup(ctx.actor), timeZone: ctx.config.timeZone, rights }),
    };
  },
});
