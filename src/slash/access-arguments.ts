import { parseGrantablePermission, parseGrantScope, type AccessRequest } from "../data/grants.ts";
import { badInput } from "../errors.ts";
import { resolveGrantSubject } from "../slack/identity.ts";
import type { CommandContext } from "./command.ts";
import type { ArgumentSpec, ParsedArguments } from "./grammar.ts";

/** The arguments of `grant` and `revoke`: SUBJECT PERMISSION, then `group:ID` (or `partner:ID`) or `all`. */
export const ACCESS_ARGUMENTS = { positional: ["SUBJECT", "PERMISSION"], filters: { group: null, partner: null }, flags: ["all"] } as const satisfies ArgumentSpec;

/** Reads `SUBJECT PERMISSION SCOPE` from parsed arguments into a grant or revoke request. */
export async function accessRequest(ctx: CommandContext, args: ParsedArguments<typeof ACCESS_ARGUMENTS>, verb: string): Promise<AccessRequest> {
  const [subjectText, permissionText] = args.positional;
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
