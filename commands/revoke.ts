import { revokeAccess } from "../src/data/grants.ts";
import { defineCommand } from "../src/slash/command.ts";
import { escapeMarkup, textDoc } from "../src/reply/document.ts";
import { accessRequest, ACCESS_ARGUMENTS } from "../src/slash/access-arguments.ts";

/** `revoke SUBJECT PERMISSION SCOPE`: takes a permission back (the one below stays), or makes an admin a member. */
export const revoke = defineCommand({
  name: "revoke",
  usage: "revoke EMAIL|@user|@usergroup view|run|manage|admin group:ID|all",
  summary: "Take a permission back from an operator or a Slack user group (admin only).",
  need: "admin",
  changes: true,
  arguments: ACCESS_ARGUMENTS,
  async execute(ctx, args) {
    const change = await revokeAccess(ctx.db, await accessRequest(ctx, args, "revoke"));
    return { visibility: "ephemeral", doc: textDoc(`${change.changed ? ":white_check_mark:" : ":warning:"} ${escapeMarkup(change.message)}`) };
  },
});
