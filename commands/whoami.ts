import { Op } from "sequelize";
import type { Command } from "../src/slash/command.ts";
import { presentWhoami } from "../src/slack/presenters/whoami.ts";

/** How many admins an answer names as the people to ask. */
const NAMED_ADMINS = 3;

/** `whoami`: the operator the caller maps to, their role and grants (and the user groups that gave them), or how to get access. */
export const whoami: Command = {
  name: "whoami",
  usage: "whoami",
  summary: "Show the operator you map to, your role and your grants.",
  need: "anyone",
  arguments: {},
  async execute(ctx) {
    const actor = ctx.actor;
    const admins = (await ctx.db.models.Operator.findAll({ where: { role: "admin" }, order: [["email", "ASC"]], limit: NAMED_ADMINS })).map((admin) => admin.email);
    if (actor.kind === "unmapped") {
      return { visibility: "ephemeral", doc: presentWhoami({ kind: "unmapped", slackUserId: actor.slackUserId, email: actor.email, admins, slashCommand: ctx.slashCommand }) };
    }
    if (actor.kind === "job") {
      return { visibility: "ephemeral", doc: presentWhoami({ kind: "operator", email: `job:${actor.job}`, name: null, role: "admin", grants: [], admins, slashCommand: ctx.slashCommand }) };
    }
    const groupIds = [...new Set(actor.grants.map((grant) => grant.groupId).filter((id): id is string => id !== null))];
    const groups = groupIds.length ? await ctx.db.models.Group.findAll({ where: { id: { [Op.in]: groupIds } } }) : [];
    const names = new Map(groups.map((group) => [group.id, group.name]));
    const linked = actor.slackUserId ? await ctx.db.models.SlackLink.findByPk(actor.slackUserId) : null;
    return {
      visibility: "ephemeral",
      doc: presentWhoami({
        kind: "operator",
        email: actor.email,
        name: actor.name,
        role: actor.role,
        ...(actor.slackUserId ? { slackUserId: actor.slackUserId, mappedBy: linked?.operatorId === actor.operatorId ? "link" : "email" } : {}),
        grants: actor.grants.map((grant) => ({ ...grant, ...(grant.groupId && names.has(grant.groupId) ? { groupName: names.get(grant.groupId) } : {}) })),
        admins,
        slashCommand: ctx.slashCommand,
      }),
    };
  },
};
