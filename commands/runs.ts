import { runPage } from "../src/data/flow-runs.ts";
import { defineTargetedCommand } from "../src/slash/command.ts";
import { nextPageCommand, PAGE_SIZE, PAGING_FILTERS, pageRequest } from "../src/slash/paging.ts";
import { presentRunList } from "../src/slack/presenters/integration-detail.ts";

/** `runs ID`: an integration's flow runs, newest first, paged, with their errors. */
export const runs = defineTargetedCommand({
  name: "runs",
  usage: "runs ID",
  summary: "List an integration's flow runs, newest first, with their errors.",
  need: "view",
  arguments: { positional: ["ID"], filters: { ...PAGING_FILTERS } },
  async execute(ctx, args) {
    const integration = ctx.integration;
    const request = pageRequest("runs", args);
    const found = await runPage(ctx.db, integration.id, { limit: PAGE_SIZE, after: request.after, offset: request.offset });
    return {
      visibility: "ephemeral",
      replaceOriginal: ctx.origin.fromButton,
      doc: presentRunList({
        integration,
        runs: found.rows,
        timeZone: ctx.config.timeZone,
        pageNumber: request.page,
        nextPageCommand: found.next ? nextPageCommand("runs", args, found.next, request.page) : undefined,
      }),
    };
  },
});
