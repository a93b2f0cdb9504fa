import { decide } from "../src/domain/permissions.ts";
import { defineCommand } from "../src/slash/command.ts";
import type { Block } from "../src/reply/document.ts";

/** `help`: usage, showing only the commands the caller may use. */
export const help = defineCommand({
  name: "help",
  usage: "help",
  summary: "Show the commands you may use.",
  need: "anyone",
  arguments: {},
  async execute(ctx) {
    const usable = ctx.commands.filter((command) => decide(ctx.actor, command.need).allowed);
    const lines = usable.map((command) => `\`${ctx.slashCommand} ${command.usage}\`\n${command.summary}`);
    const blocks: Block[] = [{ type: "section", text: `*${ctx.slashCommand}*: manage the platform's embedded integrations.` }];
    for (let i = 0; i < lines.length; i += 6) blocks.push({ type: "section", text: lines.slice(i, i + 6).join("\n") });
    if (ctx.actor.kind === "unmapped") {
      blocks.push({ type: "context", text: `Your Slack account is not linked to an operator yet: ask an admin to run \`${ctx.slashCommand} link @you YOUR-EMAIL\`.` });
    } else {
      blocks.push({ type: "context", text: 'Filters are `key:value`; quote values with spaces: `group:"Acme GmbH"`.' });
    }
    return { visibility: "ephemeral", doc: { text: `${ctx.slashCommand} help`, blocks } };
  },
});
