/**
 * The incident rules, pure: which failing integrations open an incident, which join or leave one, and when
 * one is resolved. The data layer hands the facts in; src/incidents applies the plan.
 */

/** An enabled, failing integration with the signature of its latest failed run. */
export interface FailingMember {
  integrationId: string;
  flowId: string;
  signature: string;
  /** The first failed run of its current streak. */
  failingSince: Date;
}

/** An open incident and the integrations that count as failing in it now. */
export interface OpenIncidentFacts {
  id: string;
  flowId: string;
  signature: string;
  /** Members still failing with the signature (not left). */
  activeMemberIds: string[];
}

/** The thresholds of INCIDENT_MIN_AFFECTED and INCIDENT_WINDOW_MINUTES. */
interface IncidentRules {
  minAffected: number;
  windowMinutes: number;
}

/** What one check changes. */
export interface IncidentPlan {
  /** New incidents: one Embed Flow and signature, with every integration failing with it now. */
  open: Array<{ flowId: string; signature: string; members: FailingMember[] }>;
  /** Integrations that joined an open incident. */
  join: Array<{ incidentId: string; members: FailingMember[] }>;
  /** Members that no longer fail with their incident's signature. */
  leave: Array<{ incidentId: string; integrationIds: string[] }>;
  /** Incidents none of whose integrations fails with the signature any more. */
  resolve: string[];
}

/** The key of one Embed Flow and signature. */
function incidentKey(flowId: string, signature: string): string {
  return `${flowId}\u0000${signature}`;
}

/**
 * The most streaks that began within `windowMinutes` of one another (the window is inclusive: exactly
 * 60 minutes apart is within 60 minutes).
 */
export function largestCluster(starts: Date[], windowMinutes: number): number {
  const sorted = starts.map((date) => date.getTime()).sort((a, b) => a - b);
  const windowMs = windowMinutes * 60_000;
  let best = 0;
  for (let first = 0, last = 0; last < sorted.length; last += 1) {
    while (sorted[last]! - sorted[first]! > windowMs) first += 1;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

/**
 * Plans one check: an open incident takes in every integration now failing with its flow and signature,
 * lets go of the ones that no longer do, and is resolved when none is left; a flow and signature without
 * an open incident opens one when at least `minAffected` of its failing integrations began their streaks
 * within `windowMinutes` of one another (then all of its failing integrations are members).
 */
export function planIncidents(failing: FailingMember[], open: OpenIncidentFacts[], rules: IncidentRules): IncidentPlan {
  const byKey = new Map<string, FailingMember[]>();
  for (const member of failing) {
    const key = incidentKey(member.flowId, member.signature);
    const list = byKey.get(key) ?? [];
    list.push(member);
    byKey.set(key, list);
  }
  const plan: IncidentPlan = { open: [], join: [], leave: [], resolve: [] };
  const covered = new Set<string>();
  for (const incident of open) {
    const key = incidentKey(incident.flowId, incident.signature);
    covered.add(key);
    const now = byKey.get(key) ?? [];
    if (now.length === 0) {
      plan.resolve.push(incident.id);
      continue;
    }
    const active = new Set(incident.activeMemberIds);
    const failingIds = new Set(now.map((member) => member.integrationId));
    const joining = now.filter((member) => !active.has(member.integrationId));
    const leaving = incident.activeMemberIds.filter((id) => !failingIds.has(id));
    if (joining.length) plan.join.push({ incidentId: incident.id, members: joining });
    if (leaving.length) plan.leave.push({ incidentId: incident.id, integrationIds: leaving });
  }
  for (const [key, members] of byKey) {
    if (covered.has(key) || members.length < rules.minAffected) continue;
    if (largestCluster(members.map((member) => member.failingSince), rules.windowMinutes) < rules.minAffected) continue;
    plan.open.push({ flowId: members[0]!.flowId, signature: members[0]!.signature, members });
  }
  return plan;
}
