import { grantAccess } from "../src/data/grants.ts";
import { accessRequest, ACCESS_ARGUMENTS } from "../src/slash/access-arguments.ts";
import { defineCommand } from "../src/slash/command.ts";
import { escapeMarkup, textDoc } from "../src/reply/document.ts";

/** `grant SUBJECT PERMISSION SCOPE`: gives view, run or manage on a group (or all), or makes an operator admin. */
export const grant = defineCommand({
  name: "grant",
  usage: "grant EMAIL|@user|@usergroup view|run|manage|admin group:ID|all",
  summary: "Give an operator or a Slack user group a permission on a group or partner, or on all (admin only).",
  need: "admin",
  changes: true,
  arguments: ACCESS_ARGUMENTS,
  async execute(ctx, args) {
    const change = await grantAccess(ctx.db, await accessRequest(ctx, args, "grant"));
    return { visibility: "ephemeral", doc: textDoc(`${change.changed ? ":white_check_mark:" : ":information_source:"} ${escapeMarkup(change.message)}`) };
  },
});
