import { linkSlackUser } from "../src/data/grants.ts";
import { badInput } from "../src/errors.ts";
import { defineCommand } from "../src/slash/command.ts";
import { textDoc } from "../src/reply/document.ts";
import { parseEmail, parseUserMention } from "../src/slack/identity.ts";

/** `link @user EMAIL`: maps a Slack user, by immutable id, to the operator with that email (created as a member if new). */
export const link = defineCommand({
  name: "link",
  usage: "link @user EMAIL",
  summary: "Link a Slack user to an operator's email; a new email becomes a member without grants (admin only).",
  need: "admin",
  changes: true,
  arguments: { positional: ["@user", "EMAIL"] },
  async execute(ctx, args) {
    const [userText, emailText] = args.positional;
    const slackUserId = parseUserMention(userText);
    if (!slackUserId) throw badInput(`\`${userText}\` is not a Slack user: mention them, as in \`${ctx.slashCommand} link @jane jane@example.com\`.`);
    const email = parseEmail(emailText);
    if (!email) throw badInput(`\`${emailText}\` is not an email address.`);
    const change = await linkSlackUser(ctx.db, { slackUserId, email, actor: ctx.actor, at: ctx.clock.now() });
    const next = change.created ? ` Give them access with \`${ctx.slashCommand} grant ${email} view group:ID\`.` : "";
    return { visibility: "ephemeral", doc: textDoc(`${change.changed ? ":white_check_mark:" : ":information_source:"} ${change.message}${next}`) };
  },
});
