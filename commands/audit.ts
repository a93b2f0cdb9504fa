import { auditPage, type AuditSubject } from "../src/data/audit.ts";
import { badInput } from "../src/errors.ts";
import { defineCommand } from "../src/slash/command.ts";
import { nextPageCommand, PAGE_SIZE, PAGING_FILTERS, pageRequest } from "../src/slash/paging.ts";
import { parseEmail, parseUserMention } from "../src/slack/identity.ts";
import { presentAuditLog } from "../src/slack/presenters/audit-log.ts";

/** `audit [ID]`: the latest actions (who, what, target, outcome, when), paged; ID narrows to a target, group, operator or @user. */
export const audit = defineCommand({
  name: "audit",
  usage: "audit [ID|EMAIL|@user]",
  summary: "Read the audit log, latest first: every run, disable, enable, grant, revoke, link and denial (admin only).",
  need: "admin",
  arguments: { filters: { ...PAGING_FILTERS }, rest: true },
  async execute(ctx, args) {
    if (args.rest.length > 1) throw badInput(`\`${ctx.slashCommand} audit\` takes at most one ID (got ${args.rest.length} words).`);
    const about = args.rest[0];
    const request = pageRequest("audit", args);
    const found = await auditPage(ctx.db, about === undefined ? undefined : auditSubject(about), { limit: PAGE_SIZE, after: request.after, offset: request.offset });
    return {
      visibility: "ephemeral",
      replaceOriginal: ctx.origin.fromButton,
      doc: presentAuditLog({
        events: found.rows,
        about,
        timeZone: ctx.config.timeZone,
        pageNumber: request.page,
        nextPageCommand: found.next ? nextPageCommand("audit", args, found.next, request.page) : undefined,
      }),
    };
  },
});

/** What an `audit` argument names: a mentioned Slack user, an email, or any other id. */
function auditSubject(about: string): AuditSubject {
  const slackUserId = parseUserMention(about);
  const email = parseEmail(about);
  if (slackUserId && about.startsWith("<@")) return { slackUserId };
  if (email) return { email };
  return { id: about };
}
