import { housekeepingReportFor } from "../src/housekeeping/report.ts";
import { can } from "../src/domain/permissions.ts";
import { defineCommand } from "../src/slash/command.ts";
import { presentHousekeepingAnswer } from "../src/slack/presenters/housekeeping-report.ts";

/** `stale`: the housekeeping report now, for the groups the caller may view, with the buttons they may use. */
export const stale = defineCommand({
  name: "stale",
  usage: "stale",
  summary: "The housekeeping report now: failing and stale integrations you may view, with what their runs cost.",
  need: "view",
  arguments: {},
  async execute(ctx) {
    const view = await housekeepingReportFor(ctx, ctx.scope, ctx.clock.now(), {
      showButtons: (groupId) => can(ctx.actor, "manage", groupId),
      scopeNote: ctx.scope.all ? undefined : "in the groups you may view",
      // One answer shows about 20 findings; naming more would be wasted work.
      detailLimit: 40,
    });
    return { visibility: "ephemeral", doc: presentHousekeepingAnswer(view) };
  },
});
