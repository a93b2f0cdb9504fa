import { membersWithOutcome, problemGroups, tallyMembers, type BatchRecord, type MemberTally, type ProblemGroup } from "../data/batches.ts";
import type { Database } from "../data/database.ts";
import { runsSince } from "../data/receipts.ts";
import { RECEIPT_DAYS, runCost } from "../domain/bulk.ts";

/** What a batch's channel message shows: a plain view model, built from the stored batch and its members. */
export interface BatchSummaryView {
  id: string;
  action: BatchRecord["action"];
  status: BatchRecord["status"];
  requester: string;
  approver: string | null;
  abortedBy: string | null;
  filterText: string;
  reason: string | null;
  total: number;
  apart: number;
  tally: MemberTally;
  /** The members that failed or were skipped, grouped by why: the largest groups, each with its first members. */
  problems: ProblemGroup[];
  /** How many groups of problems there are in all (more than `problems` shows when they are many). */
  problemGroupCount: number;
  undoOf: string | null;
  undoneBy: string | null;
  expiresAt: Date | null;
  /** A finished bulk disable's receipt: the runs of the last 30 days of those it disabled, and their cost. */
  receipt?: { runs30d: number; cost: number; currency: string };
}

/** The groups of failures a summary shows, and the members named in each. */
const PROBLEM_GROUPS = 5;
const PROBLEM_SAMPLE = 3;

/** What a disable's receipt is priced with. */
interface ReceiptPricing {
  pricePerRun: number;
  currency: string;
  now: Date;
}

/** How a message names a person stored on a batch: a Slack mention where there is one, else the email. */
export function personMarkup(label: string | null, slackUserId: string | null): string | null {
  if (!label) return null;
  return slackUserId ? `<@${slackUserId}>` : label;
}

/** Builds the summary view of a batch (with a finished disable's receipt when pricing is given). */
export async function batchSummaryView(db: Database, batch: BatchRecord, pricing?: ReceiptPricing): Promise<BatchSummaryView> {
  const [tally, problems] = await Promise.all([tallyMembers(db, batch.id), problemGroups(db, batch.id, PROBLEM_GROUPS, PROBLEM_SAMPLE)]);
  let receipt: BatchSummaryView["receipt"];
  if (pricing && batch.action === "disable" && batch.status === "finished") {
    const changed = await membersWithOutcome(db, batch.id, ["changed"]);
    const runs30d = await runsSince(db, changed.map((m) => m.integrationId), new Date(pricing.now.getTime() - RECEIPT_DAYS * 86_400_000));
    receipt = { runs30d, cost: runCost(runs30d, pricing.pricePerRun), currency: pricing.currency };
  }
  return {
    receipt,
    id: batch.id,
    action: batch.action,
    status: batch.status,
    requester: personMarkup(batch.requestedBy, batch.requesterSlackUserId)!,
    approver: personMarkup(batch.approvedBy, batch.approverSlackUserId),
    abortedBy: batch.abortedBy,
    filterText: batch.filterText,
    reason: batch.reason,
    total: batch.total,
    apart: batch.apart,
    tally,
    problems: problems.groups,
    problemGroupCount: problems.total,
    undoOf: batch.undoOf,
    undoneBy: batch.undoneBy,
    expiresAt: batch.expiresAt,
  };
}
