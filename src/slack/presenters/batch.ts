import type { BatchSummaryView } from "../../batches/summary.ts";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { formatTime, money, truncate } from "./format.ts";

const VERB = { run: "run", disable: "disable", enable: "enable" } as const;
const DOING = { run: "Running", disable: "Disabling", enable: "Enabling" } as const;
const DONE = { run: "Run", disable: "Disable", enable: "Enable" } as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function plainFallback(text: string): string {
  return text.replace(/[*`]/g, "").replace(/<@([A-Z0-9]+)>/g, "@$1").replace(/:[a-z_]+: /g, "");
}

/** The preview of a bulk action, before anything happens. */
interface BulkPreviewView {
  batchId: string | null;
  action: "run" | "disable" | "enable";
  filterText: string;
  reason: string | null;
  total: number;
  perGroup: Array<{ groupId: string; name: string; count: number }>;
  sample: Array<{ id: string; name: string; groupName: string }>;
  notPermitted: number;
  notApplicable: number;
  /** For a disable: runs of the last 30 days and what they cost. */
  runs30d?: { runs: number; cost: number; currency: string };
  typedConfirmation: boolean;
  needsApproval: boolean;
  expiresAt: Date | null;
  timeZone: string;
}

/** Presents a bulk action's preview: how many, per group, the first ten, what is left apart, and `Confirm`. */
export function presentBulkPreview(view: BulkPreviewView): Doc {
  const filter = `\`${escapeMarkup(view.filterText)}\``;
  const apart: string[] = [];
  if (view.notPermitted) apart.push(`${plural(view.notPermitted, "integration")} of the result you may not ${VERB[view.action]} (left alone)`);
  if (view.notApplicable) apart.push(`${view.notApplicable} already ${view.action === "enable" ? "enabled" : "disabled"}`);
  if (view.total === 0) {
    const text = `Nothing to ${VERB[view.action]}: ${filter} matches no ${view.action === "enable" ? "disabled" : "enabled"} integration you may ${VERB[view.action]}.${apart.length ? ` (${apart.join("; ")}.)` : ""} Nothing was changed.`;
    return { text: plainFallback(text), blocks: [{ type: "section", text }] };
  }
  const groups = view.perGroup.length;
  const head = `*${DONE[view.action]} ${plural(view.total, "integration")} in ${plural(groups, "group")}?* (${filter})`;
  const blocks: Block[] = [{ type: "section", text: head }];
  blocks.push({ type: "section", text: view.perGroup.slice(0, 15).map((g) => `• ${escapeMarkup(g.name)} (\`${g.groupId}\`): ${g.count}`).join("\n") + (groups > 15 ? `\n• … and ${groups - 15} more groups` : "") });
  blocks.push({
    type: "table",
    columns: ["Integration", "ID", "Group"],
    rows: view.sample.map((row) => [escapeMarkup(truncate(row.name, 60)), `\`${row.id}\``, escapeMarkup(row.groupName)]),
  });
  if (view.total > view.sample.length) blocks.push({ type: "context", text: `… and ${view.total - view.sample.length} more.` });
  if (view.runs30d) blocks.push({ type: "section", text: `In the last 30 days they ran ${plural(view.runs30d.runs, "time")}, about ${money(view.runs30d.cost, view.runs30d.currency)}.` });
  if (view.reason) blocks.push({ type: "context", text: `Reason: ${escapeMarkup(truncate(view.reason, 300))}` });
  if (apart.length) blocks.push({ type: "context", text: `Not included: ${apart.join("; ")}.` });
  const notes: string[] = [];
  if (view.typedConfirmation) notes.push(`Confirm asks you to type the count, ${view.total}.`);
  if (view.needsApproval) notes.push("It then waits for a second operator's approval.");
  if (view.expiresAt) notes.push(`This preview is valid until ${formatTime(view.expiresAt, view.timeZone)}.`);
  if (notes.length) blocks.push({ type: "context", text: notes.join(" ") });
  blocks.push({
    type: "actions",
    buttons: [{ label: "Confirm", command: `confirm ${view.batchId}`, style: view.action === "disable" ? "danger" : "primary" }],
  });
  return { text: plainFallback(`${DONE[view.action]} ${plural(view.total, "integration")} in ${plural(groups, "group")}? (${view.filterText})`), blocks };
}

/** The one line of counts a summary shows. */
export function summaryCounts(view: Pick<BatchSummaryView, "action" | "tally" | "total">): string {
  const o = view.tally.outcomes;
  const parts = view.action === "run"
    ? [`${o.succeeded ?? 0} succeeded`, `${o.failed ?? 0} failed`, `${o.running ?? 0} running`, `${o.skipped ?? 0} skipped`]
    : [`${o.changed ?? 0} ${view.action}d`, `${o.unchanged ?? 0} already so`, `${o.skipped ?? 0} skipped`];
  if (o.aborted) parts.push(`${o.aborted} not done (aborted)`);
  return parts.join(", ");
}

/**
 * The failed and skipped members grouped by why, largest first: "• 12 × failed: the engine answered 429 — `int_1`
 * (Name), `int_2`, `int_3` and 9 more". At most five groups and three names each, so the section stays far below
 * Block Kit's 3,000 characters whatever the batch's size.
 */
function problemLines(view: Pick<BatchSummaryView, "problems" | "problemGroupCount">): string {
  const lines = view.problems.map((group) => {
    const why = group.detail ? `: ${escapeMarkup(truncate(group.detail, 200))}` : "";
    const named = group.first.map((m, i) => (i === 0 ? `\`${m.integrationId}\` (${escapeMarkup(truncate(m.name, 40))})` : `\`${m.integrationId}\``));
    const more = group.count > group.first.length ? ` and ${group.count - group.first.length} more` : "";
    return `• *${group.count} × ${group.outcome}*${why} — ${named.join(", ")}${more}`;
  });
  const others = view.problemGroupCount - view.problems.length;
  if (others > 0) lines.push(`• … and ${plural(others, "other reason")}.`);
  const text = lines.join("\n");
  return text.length <= 2_900 ? text : `${text.slice(0, 2_899)}…`;
}

/** Presents a batch's channel message: progress or outcome, and the buttons that apply now. */
export function presentBatchSummary(view: BatchSummaryView): Doc {
  const finalOutcomes = view.tally.done - (view.tally.outcomes.running ?? 0);
  const counts = summaryCounts(view);
  const what = `${DONE[view.action].toLowerCase()} of ${plural(view.total, "integration")}`;
  let headline: string;
  switch (view.status) {
    case "awaiting_approval":
      headline = `:hourglass_flowing_sand: Bulk ${what} (\`${escapeMarkup(view.filterText)}\`) requested by ${view.requester} waits for a second operator's approval.`;
      break;
    case "queued":
      headline = `${DOING[view.action]} ${plural(view.total, "integration")} (\`${escapeMarkup(view.filterText)}\`), requested by ${view.requester}: starting.`;
      break;
    case "running":
    case "settling":
      headline = `${DOING[view.action]} ${plural(view.total, "integration")} (\`${escapeMarkup(view.filterText)}\`), requested by ${view.requester}: ${finalOutcomes} of ${view.total} done.`;
      break;
    case "finished":
      headline = `${view.abortedBy ? ":warning:" : ":white_check_mark:"} Bulk ${what} finished${view.abortedBy ? ` (aborted by ${escapeMarkup(view.abortedBy)})` : ""}: ${finalOutcomes} of ${view.total} done.`;
      break;
    case "aborted":
      headline = `Bulk ${what} was aborted by ${escapeMarkup(view.abortedBy ?? "someone")} before it started. Nothing was changed.`;
      break;
    case "expired":
      headline = `Bulk ${what} expired without approval. Nothing was changed.`;
      break;
    default:
      headline = `Bulk ${what}: not confirmed yet.`;
  }
  const blocks: Block[] = [{ type: "section", text: headline }];
  if (view.status !== "awaiting_approval" && view.status !== "aborted" && view.status !== "expired") blocks.push({ type: "section", text: counts });
  const context = [`Batch \`${view.id}\``, `requested by ${view.requester}`];
  if (view.approver) context.push(`approved by ${view.approver}`);
  if (view.reason) context.push(`reason: ${escapeMarkup(truncate(view.reason, 200))}`);
  if (view.apart) context.push(`${view.apart} left alone (not permitted)`);
  if (view.undoOf) context.push(`undoes \`${view.undoOf}\``);
  if (view.undoneBy) context.push(`undone by \`${view.undoneBy}\``);
  blocks.push({ type: "context", text: context.join(" · ") });
  if (view.receipt) {
    blocks.push({
      type: "fields",
      fields: [
        { label: "Their runs in the last 30 days", value: String(view.receipt.runs30d) },
        { label: "Their cost", value: money(view.receipt.cost, view.receipt.currency) },
      ],
    });
  }
  if (view.problems.length) blocks.push({ type: "section", text: problemLines(view) });
  const buttons: Button[] = [];
  if (view.status === "awaiting_approval") buttons.push({ label: "Approve", command: `approve ${view.id}`, style: "primary" });
  if (["awaiting_approval", "queued", "running"].includes(view.status) && !view.abortedBy) {
    buttons.push({ label: "Abort", command: `abort ${view.id}`, style: "danger", confirm: { title: "Abort this batch?", text: "Members not acted on yet are left alone; those already done stay done.", confirm: "Abort", deny: "Keep going" } });
  }
  if (view.status === "finished" && view.action !== "run" && !view.undoneBy && (view.tally.outcomes.changed ?? 0) > 0) {
    // The receipt's `Enable` for a bulk disable is its undo: it enables exactly those it disabled.
    const changed = view.tally.outcomes.changed ?? 0;
    buttons.push({ label: `${view.action === "disable" ? "Enable" : "Disable"} ${changed} again (undo)`, command: `undo ${view.id}` });
  }
  if (buttons.length) blocks.push({ type: "actions", buttons });
  return { text: plainFallback(`${headline} ${view.status === "awaiting_approval" ? "" : counts}`.trim()), blocks };
}

/** One batch as `batches` lists it. */
interface BatchListRow {
  id: string;
  action: string;
  status: string;
  total: number;
  counts: string;
  requester: string;
  createdAt: Date;
}

/** Presents `batches`: the latest bulk actions the caller may view. */
export function presentBatchList(rows: BatchListRow[], timeZone: string): Doc {
  const blocks: Block[] = [
    { type: "header", text: "Bulk actions" },
    {
      type: "table",
      columns: ["Batch", "Action", "Status", "Integrations", "Outcome", "Requested by", "When"],
      rows: rows.map((row) => [row.id, row.action, row.status, String(row.total), row.counts, row.requester, formatTime(row.createdAt, timeZone)]),
      empty: "_No bulk action you may view yet._",
    },
  ];
  return { text: `${plural(rows.length, "bulk action")}`, blocks };
}


