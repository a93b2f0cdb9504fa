import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import { applyIncidentPlan, incidentCandidates, incidentSummaries, incidentsToShow, openIncidentFacts, showIncident, type IncidentSummary } from "../data/incidents.ts";
import { healthRules } from "../data/integrations.ts";
import { planIncidents, type IncidentPlan } from "../domain/incidents.ts";
import { log } from "../log.ts";
import type { Doc } from "../reply/document.ts";
import { incidentFingerprint, presentIncident, type IncidentView } from "../slack/presenters/incident.ts";

/** What one failure-alerts firing hands the incident check. */
interface IncidentReview {
  db: Database;
  config: Config;
  now: Date;
  /** Where messages go; unset (no ALERTS_CHANNEL) checks incidents without posting. */
  channel?: string;
  /** True for a dry run: plan and describe, change and post nothing. */
  dryRun: boolean;
}

/** What the check did, and the integrations whose failure an incident speaks for (they get no single alert). */
interface IncidentReviewResult {
  /** Integrations failing in an open incident (planned, in a dry run). */
  members: Set<string>;
  opened: number;
  resolved: number;
  /** Messages queued in the outbox: first messages, and updates of them. */
  posted: number;
  updated: number;
  /** A dry run's messages, as they would be posted. */
  wouldPost: Doc[];
}

/** The view of a stored incident summary. */
export function incidentView(summary: IncidentSummary): IncidentView {
  return {
    id: summary.id,
    state: summary.state,
    flowName: summary.flowName,
    flowUrl: summary.flowUrl,
    signature: summary.signature,
    sampleError: summary.sampleError,
    failing: summary.failing,
    recovered: summary.recovered,
    accounts: summary.accounts,
    groups: summary.groups,
    since: summary.since,
    resolvedAt: summary.resolvedAt,
  };
}

/** The integration ids an open incident holds once the plan is applied. */
function membersAfter(plan: IncidentPlan, open: Awaited<ReturnType<typeof openIncidentFacts>>): Set<string> {
  const leaving = new Set(plan.leave.flatMap((leave) => leave.integrationIds));
  const resolved = new Set(plan.resolve);
  const members = new Set<string>();
  for (const incident of open) if (!resolved.has(incident.id)) for (const id of incident.activeMemberIds) if (!leaving.has(id)) members.add(id);
  for (const join of plan.join) for (const member of join.members) members.add(member.integrationId);
  for (const incident of plan.open) for (const member of incident.members) members.add(member.integrationId);
  return members;
}

/**
 * The incident check of one failure-alerts firing: opens, grows and resolves incidents from the failing
 * integrations (idempotent: a second run over the same facts changes nothing), then queues in the outbox each new
 * incident's message once and an update of a queued one when what it shows changed (at most one per incident per
 * firing; one not sent yet is superseded). The outbox sender posts them at Slack's pace.
 */
export async function reviewIncidents(review: IncidentReview): Promise<IncidentReviewResult> {
  const { db, config, now } = review;
  const rules = { minAffected: config.incidentMinAffected, windowMinutes: config.incidentWindowMinutes };
  const [candidates, open] = await Promise.all([incidentCandidates(db, healthRules(config, now), rules.minAffected), openIncidentFacts(db)]);
  const plan = planIncidents(candidates, open, rules);
  const result: IncidentReviewResult = { members: membersAfter(plan, open), opened: 0, resolved: plan.resolve.length, posted: 0, updated: 0, wouldPost: [] };

  if (review.dryRun) {
    result.opened = plan.open.length;
    for (const incident of plan.open) {
      const flow = `flow ${incident.flowId}`;
      const text = `Would open an incident: ${incident.members.length} integrations of ${flow} failing with \`${incident.signature}\`.`;
      result.wouldPost.push({ text, blocks: [{ type: "section", text }] });
    }
    return result;
  }

  result.opened = (await applyIncidentPlan(db, plan, now)).length;
  if (result.opened || plan.join.length || plan.leave.length || plan.resolve.length) {
    log.info({ opened: result.opened, joined: plan.join.length, left: plan.leave.length, resolved: plan.resolve.length }, "incidents changed");
  }

  const shown = await incidentsToShow(db);
  const summaries = new Map((await incidentSummaries(db, { all: true }, shown.map((incident) => incident.id))).map((summary) => [summary.id, summary]));
  for (const incident of shown) {
    const summary = summaries.get(incident.id);
    if (!summary) continue;
    const view = incidentView(summary);
    const fingerprint = incidentFingerprint(view);
    if (fingerprint === incident.shown) continue;
    // Without a channel only a resolved incident is recorded (quietly, if it was never posted); the rest wait for one.
    if (!review.channel && incident.state !== "resolved") continue;
    const queued = await showIncident(db, incident, { shown: fingerprint, channel: review.channel, doc: presentIncident(view, now, config.timeZone), at: now });
    if (queued === "post") {
      result.posted += 1;
      log.info({ incidentId: incident.id, failing: view.failing }, "incident message queued");
    } else if (queued === "update") result.updated += 1;
  }
  return result;
}
