import { batchSummaryView } from "./summary.ts";
import { recordAudit } from "../data/audit.ts";
import {
  createBatch,
  findBatch,
  groupNames,
  memberGroups,
  moveBatch,
  newBatchId,
  setBatchMessage,
  type BatchAction,
  type BatchRecord,
} from "../data/batches.ts";
import { bulkCandidates, healthRules, type IntegrationFilters } from "../data/integrations.ts";
import { runsSince } from "../data/receipts.ts";
import {
  BULK_NEED,
  BULK_REQUEST_TTL_MS,
  countPerGroup,
  groupsOutside,
  needsApproval,
  needsTypedConfirmation,
  PREVIEW_SAMPLE,
  RECEIPT_DAYS,
  runCost,
  splitCandidates,
} from "../domain/bulk.ts";
import { actorLabel, scopeFor } from "../domain/permissions.ts";
import { badInput, notFound } from "../errors.ts";
import { log } from "../log.ts";
import type { CommandContext } from "../slash/command.ts";
import type { Reply } from "../reply/messages.ts";
import { escapeMarkup, textDoc } from "../reply/document.ts";
import { presentBatchSummary, presentBulkPreview } from "../slack/presenters/batch.ts";

// The steps of a bulk action that several commands share (the filter forms, rerun, confirm, approve, abort, undo).

/** A batch id as typed: `b_` and hex digits. */
const BATCH_ID = /^b_[0-9a-f]{6,32}$/;

/** Reads a batch id argument, refusing anything else before any look-up. */
export function batchIdArgument(command: string, value: string | undefined): string {
  const id = (value ?? "").trim();
  if (!BATCH_ID.test(id)) throw badInput(`\`${command}\` takes a batch id such as \`b_1a2b3c4d5e6f\`; \`batches\` lists them.`);
  return id;
}

/** Loads a batch, or says there is none. */
export async function loadBatch(ctx: CommandContext, id: string): Promise<BatchRecord> {
  const batch = await findBatch(ctx.db, id);
  if (!batch) throw notFound(`No batch \`${escapeMarkup(id)}\`. \`${ctx.slashCommand} batches\` lists the latest.`);
  return batch;
}

/** Refuses a click: audited as a denial, answered privately. */
export async function refuse(ctx: CommandContext, action: string, batch: BatchRecord | null, message: string, outcome: "denied" | "noop" = "denied"): Promise<Reply> {
  await recordAudit(ctx.db, { actor: ctx.actor, action, targetId: batch?.id ?? null, outcome, detail: message.replace(/[`*]/g, "").slice(0, 300), at: ctx.clock.now() });
  return { visibility: "ephemeral", doc: textDoc(`${outcome === "denied" ? ":no_entry:" : ":warning:"} ${message}`) };
}

/** What a disable's receipt is priced with. */
function pricing(ctx: CommandContext) {
  return { pricePerRun: ctx.config.pricePerRun, currency: ctx.config.currency, now: ctx.clock.now() };
}

/** Re-renders a batch's channel message from what is stored (after an approval, an abort). */
export async function refreshSummary(ctx: CommandContext, id: string): Promise<void> {
  const batch = await findBatch(ctx.db, id);
  if (!batch?.channel || !batch.messageTs) return;
  try {
    await ctx.services.messages.update({ channel: batch.channel, ts: batch.messageTs }, presentBatchSummary(await batchSummaryView(ctx.db, batch, pricing(ctx))));
  } catch (error) {
    log.warn({ err: error, batchId: id }, "could not update a batch's summary");
  }
}

/** Posts a batch's one channel message and remembers where it is. */
export async function postSummary(ctx: CommandContext, batch: BatchRecord): Promise<boolean> {
  // The console and the CLI have no channel: their "channel" is the output.
  const channel = ctx.origin.channelId ?? (ctx.origin.transport === "slack" ? undefined : ctx.origin.transport);
  if (!channel) return false;
  try {
    const ref = await ctx.services.messages.post(channel, presentBatchSummary(await batchSummaryView(ctx.db, batch, pricing(ctx))));
    await setBatchMessage(ctx.db, batch.id, ref, ctx.clock.now());
    return true;
  } catch (error) {
    log.warn({ err: error, batchId: batch.id, channel }, "could not post a batch's summary to the channel");
    return false;
  }
}

/** The audit action of a batch's steps. */
function auditAction(action: BatchAction): string {
  return `bulk-${action}`;
}

/** A bulk action as asked for: its `list` filters, as typed and as parsed, and a disable's reason. */
interface BulkRequest {
  filters: IntegrationFilters;
  filterText: string;
  reason: string | null;
}

/** Builds the preview of a bulk action: stores a `preview` batch of exactly what it would take and answers with Confirm. */
export async function previewBulkAction(ctx: CommandContext, action: BatchAction, request: BulkRequest): Promise<Reply> {
  const { filterText, reason } = request;
  const now = ctx.clock.now();
  const candidates = await bulkCandidates(ctx.db, scopeFor(ctx.actor, "view"), request.filters, healthRules(ctx.config, now));
  const split = splitCandidates(action, candidates, ctx.scope);
  const perGroup = countPerGroup(split.members);
  const names = await groupNames(ctx.db, perGroup.map((g) => g.groupId));
  const base = {
    action,
    filterText,
    reason: action === "disable" ? reason : null,
    total: split.members.length,
    perGroup: perGroup.map((g) => ({ ...g, name: names.get(g.groupId) ?? g.groupId })),
    sample: split.members.slice(0, PREVIEW_SAMPLE).map((m) => ({ id: m.id, name: m.name, groupName: names.get(m.groupId) ?? m.groupId })),
    notPermitted: split.notPermitted,
    notApplicable: split.notApplicable,
    typedConfirmation: needsTypedConfirmation(split.members.length),
    needsApproval: needsApproval(split.members.length, ctx.config.approvalAbove),
    timeZone: ctx.config.timeZone,
  };
  if (split.members.length === 0) {
    return { visibility: "ephemeral", replaceOriginal: ctx.origin.fromButton, doc: presentBulkPreview({ ...base, batchId: null, expiresAt: null }) };
  }
  if (action === "run" && !ctx.services.runner.configured) {
    return { visibility: "ephemeral", doc: textDoc(":warning: Nothing can be run: the bot has no `RUNNER_SIGNING_SECRET`, so the flow engine could not trust its run requests. Ask whoever runs the bot to set it.") };
  }
  let runs30d: { runs: number; cost: number; currency: string } | undefined;
  if (action === "disable") {
    const runs = await runsSince(ctx.db, split.members.map((m) => m.id), new Date(now.getTime() - RECEIPT_DAYS * 86_400_000));
    runs30d = { runs, cost: runCost(runs, ctx.config.pricePerRun), currency: ctx.config.currency };
  }
  const expiresAt = new Date(now.getTime() + BULK_REQUEST_TTL_MS);
  const batch = await createBatch(ctx.db, {
    id: newBatchId(),
    action,
    status: "preview",
    requestedBy: actorLabel(ctx.actor),
    requesterSlackUserId: ctx.actor.kind === "operator" ? (ctx.actor.slackUserId ?? null) : null,
    filterText,
    reason: base.reason,
    apart: split.notPermitted,
    expiresAt,
    members: split.members.map((m) => ({ integrationId: m.id, groupId: m.groupId, name: m.name, previousReason: action === "enable" ? m.disabledReason : null })),
    at: now,
  });
  return { visibility: "ephemeral", replaceOriginal: ctx.origin.fromButton, doc: presentBulkPreview({ ...base, batchId: batch.id, runs30d, expiresAt }) };
}

/** Starts a confirmed batch: waits for approval or queues it, posts its channel message, wakes the worker. */
export async function startBatch(ctx: CommandContext, batch: BatchRecord): Promise<Reply> {
  const now = ctx.clock.now();
  const approval = needsApproval(batch.total, ctx.config.approvalAbove);
  const moved = await moveBatch(ctx.db, batch.id, ["preview"], approval ? "awaiting_approval" : "queued", now, { expiresAt: approval ? new Date(now.getTime() + BULK_REQUEST_TTL_MS) : null });
  if (!moved) {
    // A double click, or a retry of the same click: one batch, started once.
    return { visibility: "ephemeral", doc: textDoc(`Batch \`${batch.id}\` was already confirmed; its summary is in the channel.`) };
  }
  await recordAudit(ctx.db, {
    actor: ctx.actor,
    action: auditAction(batch.action),
    targetId: batch.id,
    outcome: "ok",
    detail: `${batch.id}: ${batch.total} integrations (${batch.filterText})${approval ? ", waiting for approval" : ""}${batch.reason ? `: ${batch.reason}` : ""}`.slice(0, 500),
    at: now,
  });
  const started = (await findBatch(ctx.db, batch.id))!;
  const posted = await postSummary(ctx, started);
  if (!approval) ctx.services.batchWorker?.kick();
  const where = posted ? "its summary in the channel is updated as it goes" : "`batches` shows its progress";
  const text = approval
    ? `Batch \`${batch.id}\` (${batch.total} integrations) now waits for a second operator's \`Approve\`; the request expires in an hour.`
    : `Batch \`${batch.id}\` started: ${batch.total} integrations; ${where}.`;
  return { visibility: "ephemeral", replaceOriginal: ctx.origin.fromButton, doc: textDoc(text) };
}

/** The groups that keep the actor from stopping or undoing a batch: none for its requester, else those outside their scope for `action`. */
export async function mayControl(ctx: CommandContext, batch: BatchRecord, action: BatchAction): Promise<string[]> {
  const groups = await memberGroups(ctx.db, batch.id);
  if (actorLabel(ctx.actor) === batch.requestedBy && action === batch.action) return [];
  return groupsOutside(scopeFor(ctx.actor, BULK_NEED[action]), groups);
}

