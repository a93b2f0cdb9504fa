import { snoozeFinding } from "../src/data/findings.ts";
import { housekeepingRules, SNOOZE_DAYS, snoozeEnds } from "../src/domain/housekeeping.ts";
import { actorLabel } from "../src/domain/permissions.ts";
import { defineTargetedCommand } from "../src/slash/command.ts";
import { escapeMarkup, textDoc } from "../src/reply/document.ts";
import { formatTime, truncate } from "../src/slack/presenters/format.ts";

/** `snooze ID`: keeps a failing or stale integration out of the housekeeping report for 7 days; audited. */
export const snooze = defineTargetedCommand({
  name: "snooze",
  usage: "snooze ID",
  summary: `Keep a failing or stale integration out of the housekeeping report for ${SNOOZE_DAYS} days.`,
  need: "manage",
  changes: true,
  arguments: { positional: ["ID"] },
  async execute(ctx) {
    const integration = ctx.integration;
    const now = ctx.clock.now();
    const name = `*${escapeMarkup(truncate(integration.name, 60))}* (\`${integration.id}\`)`;
    if (integration.status !== "enabled") {
      return { visibility: "ephemeral", doc: textDoc(`${name} is disabled, so the housekeeping report does not name it: nothing to snooze.`) };
    }
    const until = snoozeEnds(now);
    const by = actorLabel(ctx.actor);
    const snoozed = await snoozeFinding(ctx.db, { integrationId: integration.id, groupId: integration.groupId, actor: ctx.actor, by, until, now, rules: housekeepingRules(ctx.config), timeZone: ctx.config.timeZone });
    if (!snoozed) {
      return { visibility: "ephemeral", doc: textDoc(`${name} is neither failing nor stale now: nothing to snooze.`) };
    }
    return {
      visibility: "in_channel",
      doc: textDoc(`:zzz: ${name} is snoozed until ${formatTime(until, ctx.config.timeZone)} by ${escapeMarkup(by)}: the housekeeping report leaves it out until then.`),
    };
  },
});
