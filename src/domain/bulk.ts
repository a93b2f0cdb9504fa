import type { Actor, GroupScope, Permission } from "./permissions.ts";
import { actorLabel, inScope } from "./permissions.ts";

/** The longest reason kept with a disable. */
export const MAX_REASON_LENGTH = 500;

/** Above this many integrations, Confirm asks the person to type the count. */
const TYPED_CONFIRMATION_ABOVE = 20;

/** A preview (unconfirmed) and an approval request stop being valid after an hour. */
export const BULK_REQUEST_TTL_MS = 60 * 60_000;

/** Integrations a preview names one by one. */
export const PREVIEW_SAMPLE = 10;

/** The days of runs a disable's preview and receipt count. */
export const RECEIPT_DAYS = 30;

/** The three bulk actions and the permission each needs on every member's group. */
export const BULK_NEED: Record<"run" | "disable" | "enable", Permission> = { run: "run", disable: "manage", enable: "manage" };

/** What undoing a bulk disable or enable does; runs are not undone. */
export function undoAction(action: "run" | "disable" | "enable"): "disable" | "enable" | null {
  return action === "disable" ? "enable" : action === "enable" ? "disable" : null;
}

/** One integration of a filter's result, as the split sees it. */
interface BulkCandidateView {
  id: string;
  groupId: string;
  status: "enabled" | "disabled";
}

/** A filter's result split: what the action takes, what the caller may not act on, and what is already so. */
interface BulkSplit<T extends BulkCandidateView> {
  members: T[];
  /** In the result, of the right status, but in a group the caller may not act on: counted, never touched. */
  notPermitted: number;
  /** In the result but already in the state the action leads to (a disabled one for run or disable, an enabled one for enable). */
  notApplicable: number;
}

/** Splits a `list` result for an action by status and by the caller's scope for that action. */
export function splitCandidates<T extends BulkCandidateView>(action: "run" | "disable" | "enable", candidates: readonly T[], actionScope: GroupScope): BulkSplit<T> {
  const wanted = action === "enable" ? "disabled" : "enabled";
  const split: BulkSplit<T> = { members: [], notPermitted: 0, notApplicable: 0 };
  for (const candidate of candidates) {
    if (candidate.status !== wanted) split.notApplicable += 1;
    else if (!inScope(actionScope, candidate.groupId)) split.notPermitted += 1;
    else split.members.push(candidate);
  }
  return split;
}

/** Members per group, largest first. */
export function countPerGroup(members: ReadonlyArray<{ groupId: string }>): Array<{ groupId: string; count: number }> {
  const counts = new Map<string, number>();
  for (const member of members) counts.set(member.groupId, (counts.get(member.groupId) ?? 0) + 1);
  return [...counts].map(([groupId, count]) => ({ groupId, count })).sort((a, b) => b.count - a.count || a.groupId.localeCompare(b.groupId));
}

/** The estimated cost of a number of runs, rounded to cents. */
export function runCost(runs: number, pricePerRun: number): number {
  return Math.round(runs * pricePerRun * 100) / 100;
}

/** True when Confirm must ask for the typed count. */
export function needsTypedConfirmation(total: number): boolean {
  return total > TYPED_CONFIRMATION_ABOVE;
}

/** Checks a typed confirmation: a whole number equal to the count. Null when it matches, else what to tell the person. */
export function typedCountProblem(expected: number, typed: string | undefined): string | null {
  const text = (typed ?? "").trim().replace(/[,_\s]/g, "");
  if (text === "") return `Type the number of integrations, ${expected}, to confirm.`;
  if (!/^\d+$/.test(text)) return `"${(typed ?? "").trim().slice(0, 20)}" is not a number: type ${expected} to confirm.`;
  if (Number(text) !== expected) return `That is not the count: this action takes ${expected} integrations. Type ${expected} to confirm.`;
  return null;
}

/** True when a batch of this size waits for a second operator (APPROVAL_ABOVE unset: never). */
export function needsApproval(total: number, approvalAbove: number | undefined): boolean {
  return approvalAbove !== undefined && total > approvalAbove;
}

/** Why an approval is refused, or null when the approver may approve. */
type ApprovalProblem = "requester" | "not_permitted" | "expired" | "not_waiting";

/** The approval rule: a second operator, able to do the action on every member's group, before the request expires. */
export function approvalProblem(options: {
  status: string;
  requestedBy: string;
  approver: Actor;
  approverScope: GroupScope;
  memberGroups: readonly string[];
  expiresAt: Date | null;
  now: Date;
}): ApprovalProblem | null {
  if (options.status !== "awaiting_approval") return "not_waiting";
  if (options.expiresAt && options.expiresAt.getTime() <= options.now.getTime()) return "expired";
  if (options.approver.kind !== "operator" || actorLabel(options.approver) === options.requestedBy) return "requester";
  if (!options.memberGroups.every((groupId) => inScope(options.approverScope, groupId))) return "not_permitted";
  return null;
}

/** The groups among `groups` outside the scope (what a person lacks to act on a whole batch). */
export function groupsOutside(scope: GroupScope, groups: readonly string[]): string[] {
  return groups.filter((groupId) => !inScope(scope, groupId));
}

/** A run's stored status as a member's outcome. */
export function runOutcome(status: string): "succeeded" | "failed" | "running" {
  return status === "success" ? "succeeded" : status === "error" ? "failed" : "running";
}
