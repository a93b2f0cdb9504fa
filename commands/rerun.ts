import { badInput } from "../src/errors.ts";
import { defineCommand } from "../src/slash/command.ts";
import { previewBulkAction } from "../src/batches/steps.ts";
import { argumentText } from "../src/slash/paging.ts";
import { INTEGRATION_FILTER_SPEC, INTEGRATION_FLAGS, integrationFilters } from "../src/slash/integration-filters.ts";

/**
 * `rerun failing [filters]`: the same as `run failing [filters]`, a bulk run of the integrations that are failing
 * as `list failing` means it, with a preview, Confirm, and one summary message; no size limit.
 */
export const rerun = defineCommand({
  name: "rerun",
  usage: "rerun failing [group:ID|NAME] [config:ID] [account:ID] [user:ID] [flow:ID] [incident:ID] [words…]",
  summary: "The same as `run failing [filters]`: re-run every failing integration you may run, after a preview.",
  need: "run",
  changes: true,
  arguments: { positional: ["failing"], filters: INTEGRATION_FILTER_SPEC, flags: INTEGRATION_FLAGS, rest: true },
  async execute(ctx, args) {
    if (args.positional[0].toLowerCase() !== "failing") {
      throw badInput(`\`${ctx.slashCommand} rerun\` re-runs the failing integrations: write \`${ctx.slashCommand} rerun failing [filters]\` (or \`${ctx.slashCommand} run failing [filters]\`).`);
    }
    const parsed = { ...args, positional: [], flags: new Set([...args.flags, "failing" as const]) };
    return previewBulkAction(ctx, "run", { filters: integrationFilters(parsed), filterText: argumentText(parsed), reason: null });
  },
});
