import { connectorAuthPage } from "../src/data/connector-auths.ts";
import { defineCommand } from "../src/slash/command.ts";
import { argumentText, nextPageCommand, PAGE_SIZE, PAGING_FILTERS, pageRequest } from "../src/slash/paging.ts";
import { presentConnectorAuthList } from "../src/slack/presenters/connector-auth-list.ts";

/** `auths [config:ID] [account:ID] [user:ID] [connector:NAME]`: connector auths the caller may view. */
export const auths = defineCommand({
  name: "auths",
  usage: "auths [config:ID] [account:ID] [user:ID] [connector:NAME]",
  summary: "List end users' connector auths you may view.",
  need: "view",
  arguments: { filters: { config: null, account: null, user: null, connector: null, ...PAGING_FILTERS } },
  async execute(ctx, args) {
    const f = args.filters;
    const request = pageRequest("auths", args);
    const page = await connectorAuthPage(
      ctx.db,
      ctx.scope,
      { configurationId: f.config, accountId: f.account, userId: f.user, connector: f.connector },
      { limit: PAGE_SIZE, after: request.after, offset: request.offset },
    );
    return {
      visibility: "ephemeral",
      replaceOriginal: ctx.origin.fromButton,
      doc: presentConnectorAuthList({
        auths: page.rows,
        filterText: argumentText(args),
        pageNumber: request.page,
        nextPageCommand: page.next ? nextPageCommand("auths", args, page.next, request.page) : undefined,
      }),
    };
  },
});
