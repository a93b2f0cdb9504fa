import { afterCursor, encodeCursor } from "../src/data/integrations.ts";
import type { Command } from "../src/slash/command.ts";
import { nextPageCommand, PAGE_SIZE, PAGING_FILTERS, pageRequest } from "../src/slash/paging.ts";
import { presentRunList } from "../src/slack/presenters/integration-detail.ts";

/** `runs ID`: an integration's flow runs, newest first, paged, with their errors. */
export const runs: Command = {
  name: "runs",
  usage: "runs ID",
  summary: "List an integration's flow runs, newest first, with their errors.",
  need: "view",
  arguments: { positional: ["ID"], filters: { ...PAGING_FILTERS } },
  target: (args) => args.positional[0]!,
  async execute(ctx, args) {
    const integration = ctx.integration!;
    const request = pageRequest("runs", args);
    const found = await ctx.db.models.FlowRun.findAll({
      where: {
        integrationId: integration.id,
        ...afterCursor("startedAt", request.after),
      },
      order: [["startedAt", "DESC"], ["id", "DESC"]],
      limit: PAGE_SIZE + 1,
      offset: request.offset || undefined,
    });
    const shown = found.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    return {
      visibility: "ephemeral",
      replaceOriginal: ctx.origin.fromButton,
      doc: presentRunList({
        integration,
        runs: shown,
        timeZone: ctx.config.timeZone,
        pageNumber: request.page,
        nextPageCommand: found.length > PAGE_SIZE && last ? nextPageCommand("runs", args, encodeCursor(last.startedAt, last.id), request.page) : undefined,
      }),
    };
  },
};
