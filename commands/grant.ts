import { grantAccess, parseGrantablePermission, parseGrantScope, type AccessRequest } from "../src/data/grants.ts";
import { badInput } from "../src/errors.ts";
import type { Command, CommandContext } from "../src/slash/command.ts";
import type { ArgumentSpec, ParsedArguments } from "../src/slash/grammar.ts";
import { escapeMarkup, textDoc } from "../src/slack/document.ts";
import { resolveGrantSubject } from "../src/slack/identity.ts";

/** The arguments of `grant` and `revoke`: SUBJECT PERMISSION, then `group:ID` (or `partner:ID`) or `all`. */
export const ACCESS_ARGUMENTS: ArgumentSpec = { positional: ["SUBJECT", "PERMISSION"], filters: { group: null, partner: null }, flags: ["all"] };

/** Reads `SUBJECT PERMISSION SCOPE` from parsed arguments into a grant or revoke request. */
export async function accessRequest(ctx: CommandContext, args: ParsedArguments, verb: string): Promise<AccessRequest> {
  const [subjectText, permissionText] = args.positional as [string, string];
  const scopes = [
    ...(args.filters.group !== undefined ? [`group:${args.filters.group}`] : []),
    ...(args.filters.partner !== undefined ? [`partner:${args.filters.partner}`] : []),
    ...(args.flags.has("all") ? ["all"] : []),
  ];
  if (scopes.length !== 1) {
    throw badInput(`\`${ctx.slashCommand} ${verb}\` needs one scope: \`group:ID\` or \`all\`, e.g. \`${ctx.slashCommand} ${verb} ops@example.com run group:g1\`.`);
  }
  const permission = parseGrantablePermission(permissionText);
  const scope = parseGrantScope(scopes[0]!);
  const subject = await resolveGrantSubject(ctx.db, ctx.services.directory, subjectText);
  return { subject, permission, scope, actor: ctx.actor, at: ctx.clock.now() };
}

/** `grant SUBJECT PERMISSION SCOPE`: gives view, run or manage on a group (or all), or makes an operator admin. */
export const grant: Command = {
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
};
