import { recordAudit } from "../src/data/audit.ts";
import { scanHousekeeping } from "../src/data/health.ts";
import { findingKind, findingReason, findingState, housekeepingRules, SNOOZE_DAYS, snoozeEnds } from "../src/domain/housekeeping.ts";
import { actorLabel } from "../src/domain/permissions.ts";
import type { Command } from "../src/slash/command.ts";
import { escapeMarkup, textDoc } from "../src/slack/document.ts";
import { formatTime, truncate } from "../src/slack/presenters/format.ts";

/** `snooze ID`: keeps a failing or stale integration out of the housekeeping report for 7 days; audited. */
export const snooze: Command = {
  name: "snooze",
  usage: "snooze ID",
  summary: `Keep a failing or stale integration out of the housekeeping report for ${SNOOZE_DAYS} days.`,
  need: "manage",
  changes: true,
  arguments: { positional: ["ID"] },
  target: (args) => args.positional[0]!,
  async execute(ctx) {
    const integration = ctx.integration!;
    const now = ctx.clock.now();
    const name = `*${escapeMarkup(truncate(integration.name, 60))}* (\`${integration.id}\`)`;
    if (integration.status !== "enabled") {
      return { visibility: "ephemeral", doc: textDoc(`${name} is disabled, so the housekeeping report does not name it: nothing to snooze.`) };
    }
    const until = snoozeEnds(now);
    const by = actorLabel(ctx.actor);
    const snoozed = await ctx.db.sequelize.transaction(async (transaction) => {
      const [health] = await scanHousekeeping(ctx.db, { scope: { all: true }, now, rules: housekeepingRules(ctx.config), integrationIds: [integration.id] }, transaction);
      if (!health) return false;
      const open = findingState(health.stored, now) !== "new";
      await ctx.db.models.HousekeepingFinding.upsert(
        {
          integrationId: integration.id,
          kind: findingKind(health),
          reason: findingReason(health, now, ctx.config.timeZone),
          // A finding first seen by `stale` starts its life here; a remembered one keeps its first report.
          firstReportedAt: open ? health.stored!.firstReportedAt : now,
          lastReportedAt: open ? health.stored!.lastReportedAt : now,
          snoozedUntil: until,
          snoozedBy: by,
          resolvedAt: null,
          resolution: null,
        },
        { transaction },
      );
      await recordAudit(ctx.db, { actor: ctx.actor, action: "snooze", targetId: integration.id, groupId: integration.groupId, outcome: "ok", detail: `until ${until.toISOString()}`, at: now }, transaction);
      return true;
    });
    if (!snoozed) {
      return { visibility: "ephemeral", doc: textDoc(`${name} is neither failing nor stale now: nothing to snooze.`) };
    }
    return {
      visibility: "in_channel",
      doc: textDoc(`:zzz: ${name} is snoozed until ${formatTime(until, ctx.config.timeZone)} by ${escapeMarkup(by)}: the housekeeping report leaves it out until then.`),
    };
  },
};
