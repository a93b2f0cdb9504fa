import { Op, type WhereOptions } from "sequelize";
import { afterCursor, encodeCursor, escapeLike, likeWhere, scopeWhere } from "../src/data/integrations.ts";
import type { Command } from "../src/slash/command.ts";
import { argumentText, nextPageCommand, PAGE_SIZE, PAGING_FILTERS, pageRequest } from "../src/slash/paging.ts";
import { presentConnectorAuthList } from "../src/slack/presenters/connector-auth-list.ts";

/** `auths [config:ID] [account:ID] [user:ID] [connector:NAME]`: connector auths the caller may view. */
export const auths: Command = {
  name: "auths",
  usage: "auths [config:ID] [account:ID] [user:ID] [connector:NAME]",
  summary: "List end users' connector auths you may view.",
  need: "view",
  arguments: { filters: { config: null, account: null, user: null, connector: null, ...PAGING_FILTERS } },
  async execute(ctx, args) {
    const f = args.filters;
    const request = pageRequest("auths", args);
    const and: WhereOptions[] = [scopeWhere(ctx.scope)];
    if (f.config) and.push({ configurationId: f.config });
    if (f.account) and.push({ embedAccountId: f.account });
    if (f.user) and.push({ embedUserId: f.user });
    if (f.connector) and.push(likeWhere(ctx.db, ctx.db.models.ConnectorAuth, "connectorName", escapeLike(f.connector)));
    and.push(afterCursor("createdAt", request.after));
    const found = await ctx.db.models.ConnectorAuth.findAll({
      where: { [Op.and]: and },
      order: [["createdAt", "DESC"], ["id", "DESC"]],
      limit: PAGE_SIZE + 1,
      offset: request.offset || undefined,
    });
    const shown = found.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    return {
      visibility: "ephemeral",
      replaceOriginal: ctx.origin.fromButton,
      doc: presentConnectorAuthList({
        auths: shown,
        filterText: argumentText(args),
        pageNumber: request.page,
        nextPageCommand: found.length > PAGE_SIZE && last ? nextPageCommand("auths", args, encodeCursor(last.createdAt, last.id), request.page) : undefined,
      }),
    };
  },
};
