import { Op, type WhereOptions } from "sequelize";
import { decodeCursor, encodeCursor } from "../src/data/integrations.ts";
import { badInput, invalidPageLink } from "../src/errors.ts";
import type { Command } from "../src/slash/command.ts";
import { nextPageCommand, PAGE_SIZE, PAGING_FILTERS, pageRequest } from "../src/slash/paging.ts";
import { parseEmail, parseUserMention } from "../src/slack/identity.ts";
import { presentAuditLog } from "../src/slack/presenters/audit-log.ts";

/** `audit [ID]`: the latest actions (who, what, target, outcome, when), paged; ID narrows to a target, group, operator or @user. */
export const audit: Command = {
  name: "audit",
  usage: "audit [ID|EMAIL|@user]",
  summary: "Read the audit log, latest first: every run, disable, enable, grant, revoke, link and denial (admin only).",
  need: "admin",
  arguments: { filters: { ...PAGING_FILTERS }, rest: true },
  async execute(ctx, args) {
    if (args.rest.length > 1) throw badInput(`\`${ctx.slashCommand} audit\` takes at most one ID (got ${args.rest.length} words).`);
    const about = args.rest[0];
    const and: WhereOptions[] = [];
    if (about !== undefined) {
      const slackUserId = parseUserMention(about);
      const email = parseEmail(about);
      if (slackUserId && about.startsWith("<@")) and.push({ actorSlackUserId: slackUserId });
      else if (email) and.push({ [Op.or]: [{ actor: email }, { targetId: email }] });
      else and.push({ [Op.or]: [{ targetId: about }, { groupId: about }, { actor: about }, { actorSlackUserId: about }] });
    }
    const request = pageRequest("audit", args);
    if (request.after !== undefined) {
      const after = decodeCursor(request.after);
      const afterId = Number(after.id);
      if (!/^\d+$/.test(after.id) || !Number.isSafeInteger(afterId)) throw invalidPageLink();
      and.push({ [Op.or]: [{ at: { [Op.lt]: after.at } }, { at: after.at, id: { [Op.lt]: afterId } }] });
    }
    // Latest by when it happened (imports may append old entries), ties by the order they were written.
    const found = await ctx.db.models.AuditEvent.findAll({ where: { [Op.and]: and }, order: [["at", "DESC"], ["id", "DESC"]], limit: PAGE_SIZE + 1, offset: request.offset || undefined });
    const shown = found.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    return {
      visibility: "ephemeral",
      replaceOriginal: ctx.origin.fromButton,
      doc: presentAuditLog({
        events: shown,
        about,
        timeZone: ctx.config.timeZone,
        pageNumber: request.page,
        nextPageCommand: found.length > PAGE_SIZE && last ? nextPageCommand("audit", args, encodeCursor(last.at, String(last.id)), request.page) : undefined,
      }),
    };
  },
};
