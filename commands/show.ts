import { recentRuns } from "../src/data/flow-runs.ts";
import { refreshDueHealth } from "../src/data/health.ts";
import { describeIntegrations, findIntegration, healthRules } from "../src/data/integrations.ts";
import { can } from "../src/domain/permissions.ts";
import { defineTargetedCommand } from "../src/slash/command.ts";
import { presentIntegrationDetail } from "../src/slack/presenters/integration-detail.ts";

/** How many runs `show` lists. */
const SHOWN_RUNS = 5;

/** `show ID`: one integration, every column, its last runs, and the buttons the caller may use. */
export const show = defineTargetedCommand({
  name: "show",
  usage: "show ID",
  summary: "Show one integration: every column, its last 5 runs, and Run / Disable / Enable.",
  need: "view",
  arguments: { positional: ["ID"] },
  async execute(ctx) {
    const now = ctx.clock.now();
    // A verdict that time alone has changed since it was kept is brought up to date first.
    const { refreshed } = await refreshDueHealth(ctx.db, healthRules(ctx.config, now), now);
    const integration = (refreshed > 0 ? await findIntegration(ctx.db, ctx.integration.id) : undefined) ?? ctx.integration;
    const [[row], runs] = await Promise.all([
      describeIntegrations(ctx.db, [integration]),
      recentRuns(ctx.db, integration.id, SHOWN_RUNS),
    ]);
    return {
      visibility: "ephemeral",
      doc: presentIntegrationDetail({
        row: row!,
        runs,
        now: ctx.clock.now(),
        timeZone: ctx.config.timeZone,
        canRun: can(ctx.actor, "run", integration.groupId),
        canManage: can(ctx.actor, "manage", integration.groupId),
      }),
    };
  },
});
