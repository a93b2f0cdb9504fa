import { PERMISSION_LABEL, type EffectiveGrant } from "../../domain/permissions.ts";
import type { Block, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";

/** What `whoami` found out about the caller. */
type WhoamiView =
  | {
      kind: "operator";
      email: string;
      name: string | null;
      role: "admin" | "member";
      /** How the Slack user maps to the operator; undefined outside Slack. */
      mappedBy?: "link" | "email";
      slackUserId?: string;
      grants: Array<EffectiveGrant & { groupName?: string }>;
      admins: string[];
      slashCommand: string;
    }
  | { kind: "unmapped"; slackUserId: string; email?: string; admins: string[]; slashCommand: string };

function askAdmins(admins: string[]): string {
  return admins.length ? `an admin (${admins.map(escapeMarkup).join(", ")})` : "an admin";
}

/** Presents the caller's operator, role, grants and the user groups that gave them; or how to get access. */
export function presentWhoami(view: WhoamiView): Doc {
  if (view.kind === "unmapped") {
    const slackSays = view.email
      ? `Slack reports your email as ${escapeMarkup(view.email)}, and no operator has it.`
      : "Slack reports no email for you.";
    const text =
      `Your Slack account <@${view.slackUserId}> is not linked to an embedops operator. ${slackSays} ` +
      `You may use only \`${view.slashCommand} help\` and \`${view.slashCommand} whoami\`. ` +
      `To get access, ask ${askAdmins(view.admins)} to run \`${view.slashCommand} link @you YOUR-EMAIL\` and to grant you a permission.`;
    return { text: "You are not linked to an operator", blocks: [{ type: "section", text }] };
  }
  const who = view.name ? `${escapeMarkup(view.name)} (${escapeMarkup(view.email)})` : escapeMarkup(view.email);
  const mapped =
    view.mappedBy === "link"
      ? `Your Slack account <@${view.slackUserId}> is linked to this operator.`
      : view.mappedBy === "email"
        ? `Your Slack account <@${view.slackUserId}> maps to this operator by the email Slack reports.`
        : "";
  const blocks: Block[] = [
    { type: "section", text: `You are *${who}*, ${view.role === "admin" ? "an *admin*" : "a *member*"}. ${mapped}`.trim() },
  ];
  if (view.role === "admin") {
    blocks.push({ type: "context", text: "Admins have every permission on every group and partner, and may grant, revoke, link and read the audit log." });
  }
  blocks.push({
    type: "table",
    columns: ["Permission", "On", "Given to"],
    rows: view.grants.map((grant) => [
      PERMISSION_LABEL[grant.permission] ?? grant.permission,
      grant.groupId === null ? "all groups and partners" : grant.groupName ? `${escapeMarkup(grant.groupName)} (${grant.groupId})` : grant.groupId,
      grant.viaUsergroup ? `user group <!subteam^${grant.viaUsergroup}>` : "you",
    ]),
    empty:
      view.role === "admin"
        ? "_No grants of your own; as an admin you need none._"
        : `_No grants yet: ask ${askAdmins(view.admins)} to run \`${view.slashCommand} grant ${escapeMarkup(view.email)} view group:ID\`._`,
  });
  return { text: `You are ${view.email} (${view.role})`, blocks };
}
