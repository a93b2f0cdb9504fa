import { healthRules, listIntegrations } from "../src/data/integrations.ts";
import { defineCommand } from "../src/slash/command.ts";
import { INTEGRATION_FILTER_SPEC, INTEGRATION_FLAGS, integrationFilters } from "../src/slash/integration-filters.ts";
import { argumentText, nextPageCommand, PAGE_SIZE, PAGING_FILTERS, pageRequest } from "../src/slash/paging.ts";
import { presentIntegrationList } from "../src/slack/presenters/integration-list.ts";

/** `list [filters…] [words…]`: the integrations the caller may view, newest activity first, 20 a page. */
export const list = defineCommand({
  name: "list",
  usage: "list [status:enabled|disabled] [latest:success|error|running|retrying|none] [group:ID|NAME] [config:ID] [account:ID] [user:ID] [flow:ID] [incident:ID] [stale] [failing] [overdue] [words…]",
  summary: "List the integrations you may view, newest activity first.",
  need: "view",
  arguments: { filters: { ...INTEGRATION_FILTER_SPEC, ...PAGING_FILTERS }, flags: INTEGRATION_FLAGS, rest: true },
  async execute(ctx, args) {
    const request = pageRequest("list", args);
    const page = await listIntegrations(
      ctx.db,
      ctx.scope,
      integrationFilters(args),
      healthRules(ctx.config, ctx.clock.now()),
      { limit: PAGE_SIZE, after: request.after, offset: request.offset },
    );
    return {
      visibility: "ephemeral",
      replaceOriginal: ctx.origin.fromButton,
      doc: presentIntegrationList({
        rows: page.rows,
        filterText: argumentText(args),
        pageNumber: request.page,
        nextPageCommand: page.next ? nextPageCommand("list", args, page.next, request.page) : undefined,
      }),
    };
  },
});
