import { actorLabel } from "../src/domain/permissions.ts";
import { groupsByIds, linkedOperatorId, namedAdmins } from "../src/data/operators.ts";
import { defineCommand } from "../src/slash/command.ts";
import { presentWhoami } from "../src/slack/presenters/whoami.ts";

/** `whoami`: the operator the caller maps to, their role and grants (and the user groups that gave them), or how to get access. */
export const whoami = defineCommand({
  name: "whoami",
  usage: "whoami",
  summary: "Show the operator you map to, your role and your grants.",
  need: "anyone",
  arguments: {},
  async execute(ctx) {
    const actor = ctx.actor;
    const admins = await namedAdmins(ctx.db);
    if (actor.kind === "unmapped") {
      return { visibility: "ephemeral", doc: presentWhoami({ kind: "unmapped", slackUserId: actor.slackUserId, email: actor.email, admins, slashCommand: ctx.slashCommand }) };
    }
    if (actor.kind === "job") {
      return { visibility: "ephemeral", doc: presentWhoami({ kind: "operator", email: `job:${actor.job}`, name: null, role: "admin", grants: [], admins, slashCommand: ctx.slashCommand }) };
    }
    if (actor.kind === "end_user") {
      return { visibility: "ephemeral", doc: presentWhoami({ kind: "operator", email: actorLabel(actor), name: null, role: "member", grants: [], admins, slashCommand: ctx.slashCommand }) };
    }
    const groupIds = [...new Set(actor.grants.map((grant) => grant.groupId).filter((id): id is string => id !== null))];
    const groups = await groupsByIds(ctx.db, groupIds);
    const names = new Map(groups.map((group) => [group.id, group.name]));
    const linkedId = actor.slackUserId ? await linkedOperatorId(ctx.db, actor.slackUserId) : null;
    return {
      visibility: "ephemeral",
      doc: presentWhoami({
        kind: "operator",
        email: actor.email,
        name: actor.name,
        role: actor.role,
        ...(actor.slackUserId ? { slackUserId: actor.slackUserId, mappedBy: linkedId === actor.operatorId ? "link" : "email" } : {}),
        grants: actor.grants.map((grant) => ({ ...grant, ...(grant.groupId && names.has(grant.groupId) ? { groupName: names.get(grant.groupId) } : {}) })),
        admins,
        slashCommand: ctx.slashCommand,
      }),
    };
  },
});
