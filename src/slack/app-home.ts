import type { WebClient } from "@slack/web-api";
import type { HomeView } from "@slack/types";
import { failingIntegrations, integrationCounts, openFindings } from "../data/dashboard.ts";
import { scanHousekeeping } from "../data/health.ts";
import { healthRules } from "../data/integrations.ts";
import { findingReason, housekeepingRules } from "../domain/housekeeping.ts";
import { namedAdmins } from "../data/operators.ts";
import { actorLabel, can, isEmptyScope, scopeFor } from "../domain/permissions.ts";
import { log } from "../log.ts";
import { appHomePublishesTotal } from "../metrics.ts";
import type { Runtime } from "../runtime.ts";
import { SLACK_LIMITS, toBlockKit } from "./block-kit.ts";
import { resolveSlackActor, type SlackDirectory } from "./identity.ts";
import { HOME_LIST_LIMIT, presentAppHome, type AppHomeView } from "./presenters/app-home.ts";
import { reportSlackError } from "./slack-errors.ts";

/**
 * Builds the App Home of one Slack user, for whoever they map to at this moment: counts over what they may
 * view, the failing integrations they may run, the open housekeeping findings they may view.
 */
async function appHomeView(runtime: Runtime, directory: SlackDirectory, slackUserId: string): Promise<AppHomeView> {
  const { db, config } = runtime;
  const actor = await resolveSlackActor(db, directory, slackUserId);
  if (actor.kind !== "operator") {
    return { kind: "unmapped", slashCommand: config.slashCommand, adminEmails: await namedAdmins(db) };
  }
  const now = runtime.clock.now();
  const viewScope = scopeFor(actor, "view");
  const base = { kind: "operator" as const, slashCommand: config.slashCommand, operatorLabel: actorLabel(actor), now };
  if (isEmptyScope(viewScope)) {
    return { ...base, canView: false, counts: { total: 0, byStatus: { enabled: 0, disabled: 0 }, byLatestRun: { success: 0, error: 0, running: 0, retrying: 0, none: 0 } }, failing: { rows: [], total: 0 }, findings: { rows: [], total: 0 } };
  }
  const [counts, failing, findings] = await Promise.all([
    integrationCounts(db, viewScope),
    failingIntegrations(db, scopeFor(actor, "run"), healthRules(config, now), HOME_LIST_LIMIT),
    openFindings(db, viewScope, now, HOME_LIST_LIMIT),
  ]);
  // A finding remembers the reason it was last reported with; the Home words the ones it shows as they stand now
  // (due verdicts were recomputed by failingIntegrations, at the same instant).
  const current = await scanHousekeeping(db, { scope: viewScope, now, rules: housekeepingRules(config), overdue: true, integrationIds: findings.rows.map((f) => f.integration.id), refreshed: true });
  const reasonOf = new Map(current.map((health) => [health.integrationId, findingReason(health, now, config.timeZone)]));
  return {
    ...base,
    canView: true,
    counts,
    failing: { rows: failing.rows.map((row) => ({ row })), total: failing.total },
    findings: {
      rows: findings.rows.map((finding) => ({
        finding: { ...finding, reason: reasonOf.get(finding.integration.id) ?? finding.reason },
        canManage: can(actor, "manage", finding.integration.groupId),
      })),
      total: findings.total,
    },
  };
}

/** Publishes a Slack user's App Home with views.publish (on `app_home_opened`). */
export async function publishAppHome(runtime: Runtime, directory: SlackDirectory, client: WebClient, slackUserId: string): Promise<void> {
  const rendered = toBlockKit(presentAppHome(await appHomeView(runtime, directory, slackUserId)), { maxBlocks: SLACK_LIMITS.homeBlocks });
  const view: HomeView = { type: "home", blocks: rendered.blocks };
  try {
    await client.views.publish({ user_id: slackUserId, view });
    appHomePublishesTotal.inc({ outcome: "ok" });
    log.info({ slackUserId }, "App Home published");
  } catch (error) {
    appHomePublishesTotal.inc({ outcome: "error" });
    reportSlackError(error, { method: "views.publish" });
  }
}
