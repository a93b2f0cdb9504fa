import { personMarkup } from "../src/batches/summary.ts";
import { batchIdArgument, loadBatch, mayControl, previewBulkAction, refreshSummary, refuse, startBatch } from "../src/batches/steps.ts";
import { recordAudit } from "../src/data/audit.ts";
import { closePending, groupNames, latestBatches, markAborted, memberGroups, moveBatch, tallyMembers, type BatchAction, type BatchRecord } from "../src/data/batches.ts";
import { approvalProblem, BULK_NEED, groupsOutside, MAX_REASON_LENGTH, needsTypedConfirmation, typedCountProblem } from "../src/domain/bulk.ts";
import { actorLabel, scopeFor } from "../src/domain/permissions.ts";
import { badInput } from "../src/errors.ts";
import { defineCommand, type Command, type CommandContext } from "../src/slash/command.ts";
import type { Reply } from "../src/reply/messages.ts";
import type { ArgumentSpec, ParsedArguments } from "../src/slash/grammar.ts";
import { argumentText } from "../src/slash/paging.ts";
import { escapeMarkup, textDoc } from "../src/reply/document.ts";
import { presentBatchList, summaryCounts } from "../src/slack/presenters/batch.ts";
import { INTEGRATION_ARGUMENTS, integrationFilters } from "../src/slash/integration-filters.ts";

/** Reads a bulk form's arguments: at least one filter, a disable's reason apart from the filters. */
function bulkRequest(ctx: CommandContext, action: BatchAction, args: ParsedArguments<typeof BULK_ARGUMENTS>) {
  const { reason: rawReason, ...filterArgs } = args.filters;
  const reason = rawReason?.trim() || null;
  if (reason && reason.length > MAX_REASON_LENGTH) throw badInput(`The reason is ${reason.length} characters long; keep it to ${MAX_REASON_LENGTH}. Nothing was changed.`);
  const parsed = { ...args, filters: filterArgs };
  if (Object.keys(filterArgs).length === 0 && parsed.flags.size === 0) {
    throw badInput(`A bulk \`${action}\` needs at least one filter, e.g. \`${ctx.slashCommand} ${action} flow:ID\`.`);
  }
  return { filters: integrationFilters(parsed), filterText: argumentText(parsed), reason: action === "disable" ? reason : null };
}

/** The filter form of `run`, `disable` and `enable`: a bulk action's preview. */
/** The arguments of a bulk form: `list`'s filters, and a disable's `reason:`. */
const BULK_ARGUMENTS = { ...INTEGRATION_ARGUMENTS, filters: { ...INTEGRATION_ARGUMENTS.filters, reason: null } } as const satisfies ArgumentSpec;

function bulkCommand(action: BatchAction, summary: string): Command {
  return defineCommand({
    name: action,
    usage: `${action} FILTERS…${action === "disable" ? ' [reason:"…"]' : ""}`,
    summary,
    need: BULK_NEED[action],
    changes: true,
    // Only a disable takes a reason.
    arguments: action === "disable" ? BULK_ARGUMENTS : INTEGRATION_ARGUMENTS,
    execute: (ctx, args) => previewBulkAction(ctx, action, bulkRequest(ctx, action, args)),
  });
}

/** `run FILTERS…`: runs every enabled integration of that `list` result the caller may run, after a preview and Confirm. */
export const bulkRun = bulkCommand("run", "Run every enabled integration of a list result, after a preview and a confirmation.");
/** `disable FILTERS… [reason:"…"]`: disables every enabled integration of that result the caller may manage. */
export const bulkDisable = bulkCommand("disable", "Disable every enabled integration of a list result, after a preview and a confirmation.");
/** `enable FILTERS…`: enables every disabled integration of that result the caller may manage. */
export const bulkEnable = bulkCommand("enable", "Enable every disabled integration of a list result, after a preview and a confirmation.");

/** `confirm BATCH [COUNT]`: confirms a preview (the count typed above 20), as the person who asked for it. */
export const confirm = defineCommand({
  name: "confirm",
  usage: "confirm BATCH [COUNT]",
  summary: "Confirm a bulk action you previewed (above 20 integrations, with the count).",
  need: "view",
  changes: true,
  arguments: { positional: ["BATCH"], rest: true },
  async execute(ctx, args) {
    const id = batchIdArgument("confirm", args.positional[0]);
    const batch = await loadBatch(ctx, id);
    const now = ctx.clock.now();
    if (batch.requestedBy !== actorLabel(ctx.actor)) {
      return refuse(ctx, "confirm", batch, `Only ${escapeMarkup(batch.requestedBy)}, who asked for this preview, may confirm it. Run the command yourself to get your own preview.`);
    }
    if (batch.status === "expired" || (batch.status === "preview" && batch.expiresAt && batch.expiresAt <= now)) {
      await moveBatch(ctx.db, batch.id, ["preview"], "expired", now, { finishedAt: now });
      return refuse(ctx, "confirm", batch, `This preview expired: run \`${batch.action} ${escapeMarkup(batch.filterText)}\` again for a fresh one.`, "noop");
    }
    if (batch.status !== "preview") {
      return { visibility: "ephemeral", doc: textDoc(`Batch \`${batch.id}\` was already confirmed; its summary is in the channel.`) };
    }
    if (needsTypedConfirmation(batch.total)) {
      const typed = args.rest.join(" ");
      if (typed.trim() === "") {
        return {
          visibility: "ephemeral",
          dialog: { title: "Confirm bulk action", prompt: `This ${batch.action}s ${batch.total} integrations. Type ${batch.total} to confirm.`, command: `confirm ${batch.id}`, expected: batch.total },
          doc: textDoc(`This ${batch.action}s ${batch.total} integrations: type the count to confirm, \`${ctx.slashCommand} confirm ${batch.id} ${batch.total}\`.`),
        };
      }
      const problem = typedCountProblem(batch.total, typed);
      if (problem) return refuse(ctx, "confirm", batch, `${problem} Nothing was started.`, "noop");
    }
    if (batch.action === "run" && !ctx.services.runner.configured) {
      return { visibility: "ephemeral", doc: textDoc(":warning: Nothing was run: the bot has no `RUNNER_SIGNING_SECRET`. Ask whoever runs the bot to set it.") };
    }
    return startBatch(ctx, batch);
  },
});

/** Why approval was refused, in words. */
async function approvalRefusal(ctx: CommandContext, batch: BatchRecord, problem: NonNullable<ReturnType<typeof approvalProblem>>, missing: string[]): Promise<Reply> {
  switch (problem) {
    case "requester":
      return refuse(ctx, "approve", batch, "You asked for this batch: a second operator must approve it.");
    case "not_permitted": {
      const names = await groupNames(ctx.db, missing);
      const permission = BULK_NEED[batch.action];
      return refuse(ctx, "approve", batch, `Approving needs *${permission === "run" ? "Can run" : "Can manage"}* on every group of the batch; you lack it on ${missing.map((g) => `*${escapeMarkup(names.get(g) ?? g)}* (\`${g}\`)`).join(", ")}.`);
    }
    case "expired":
      await moveBatch(ctx.db, batch.id, ["awaiting_approval"], "expired", ctx.clock.now(), { finishedAt: ctx.clock.now() });
      await refreshSummary(ctx, batch.id);
      return refuse(ctx, "approve", batch, "This approval request expired (after an hour); nothing was changed. The requester may ask again.", "noop");
    case "not_waiting":
      return refuse(ctx, "approve", batch, `Batch \`${batch.id}\` is not waiting for approval (it is ${batch.status.replace("_", " ")}).`, "noop");
  }
}

/** `approve BATCH`: a second operator, who may do the action on all of its integrations, lets a batch start. */
export const approve = defineCommand({
  name: "approve",
  usage: "approve BATCH",
  summary: "Approve another operator's bulk action (you need its permission on all of its groups).",
  need: "view",
  changes: true,
  arguments: { positional: ["BATCH"] },
  async execute(ctx, args) {
    const batch = await loadBatch(ctx, batchIdArgument("approve", args.positional[0]));
    const groups = await memberGroups(ctx.db, batch.id);
    const scope = scopeFor(ctx.actor, BULK_NEED[batch.action]);
    const problem = approvalProblem({ status: batch.status, requestedBy: batch.requestedBy, approver: ctx.actor, approverScope: scope, memberGroups: groups, expiresAt: batch.expiresAt, now: ctx.clock.now() });
    if (problem) return approvalRefusal(ctx, batch, problem, groupsOutside(scope, groups));
    const now = ctx.clock.now();
    const moved = await moveBatch(ctx.db, batch.id, ["awaiting_approval"], "queued", now, {
      approvedBy: actorLabel(ctx.actor),
      approverSlackUserId: ctx.actor.kind === "operator" ? (ctx.actor.slackUserId ?? null) : null,
      expiresAt: null,
    });
    if (!moved) return refuse(ctx, "approve", batch, `Batch \`${batch.id}\` was approved or stopped meanwhile.`, "noop");
    await recordAudit(ctx.db, { actor: ctx.actor, action: "approve", targetId: batch.id, outcome: "ok", detail: `${batch.id}: ${batch.action} of ${batch.total} integrations requested by ${batch.requestedBy}`, at: now });
    await refreshSummary(ctx, batch.id);
    ctx.services.batchWorker?.kick();
    return { visibility: "ephemeral", doc: textDoc(`Approved: batch \`${batch.id}\` starts now.`) };
  },
});

/** `abort BATCH`: stops a batch; members not acted on yet are left alone, those done stay done. */
export const abort = defineCommand({
  name: "abort",
  usage: "abort BATCH",
  summary: "Stop a bulk action that is waiting or running.",
  need: "view",
  changes: true,
  arguments: { positional: ["BATCH"] },
  async execute(ctx, args) {
    const batch = await loadBatch(ctx, batchIdArgument("abort", args.positional[0]));
    const missing = await mayControl(ctx, batch, batch.action);
    if (missing.length) return refuse(ctx, "abort", batch, `Only the requester, or someone who may ${batch.action} on all of its groups, may abort batch \`${batch.id}\` (you may not on ${missing.map((g) => `\`${g}\``).join(", ")}).`);
    const now = ctx.clock.now();
    const by = actorLabel(ctx.actor);
    if (batch.status === "settling") return refuse(ctx, "abort", batch, `Every run request of batch \`${batch.id}\` has gone out; there is nothing left to stop (it waits for the engine's outcomes).`, "noop");
    if (batch.status === "preview" || !["awaiting_approval", "queued", "running"].includes(batch.status) || batch.abortedBy) {
      return refuse(ctx, "abort", batch, `Batch \`${batch.id}\` is ${batch.abortedBy ? "already aborted" : batch.status === "preview" ? "not confirmed" : `already ${batch.status}`}; there is nothing to abort.`, "noop");
    }
    if (!(await markAborted(ctx.db, batch.id, by, now))) return refuse(ctx, "abort", batch, `Batch \`${batch.id}\` ended or was aborted meanwhile.`, "noop");
    // Not started yet: it ends here. Running: the worker stops before the next member.
    await moveBatch(ctx.db, batch.id, ["awaiting_approval", "queued"], "aborted", now, { finishedAt: now });
    const left = await closePending(ctx.db, batch.id, "aborted", `aborted by ${by}`, now);
    await recordAudit(ctx.db, { actor: ctx.actor, action: "abort", targetId: batch.id, outcome: "ok", detail: `${batch.id}: ${left} integrations left alone`, at: now });
    await refreshSummary(ctx, batch.id);
    return { visibility: "ephemeral", doc: textDoc(`Aborted batch \`${batch.id}\`: ${left} integrations not acted on are left alone.`) };
  },
});

/** `batches`: the latest bulk actions the caller may view, with their progress and outcome. */
export const batches = defineCommand({
  name: "batches",
  usage: "batches",
  summary: "The latest bulk actions, with their progress and outcome.",
  need: "view",
  arguments: {},
  async execute(ctx) {
    const rows = await latestBatches(ctx.db, ctx.scope, 20);
    const list = await Promise.all(
      rows.map(async (batch) => {
        const tally = await tallyMembers(ctx.db, batch.id);
        return {
          id: batch.id,
          action: batch.undoOf ? `${batch.action} (undo of ${batch.undoOf})` : batch.action,
          status: batch.abortedBy && batch.status === "finished" ? "finished (aborted)" : batch.status.replace("_", " "),
          total: batch.total,
          counts: summaryCounts({ action: batch.action, tally, total: batch.total }),
          requester: personMarkup(batch.requestedBy, batch.requesterSlackUserId) ?? "",
          createdAt: batch.createdAt,
        };
      }),
    );
    return { visibility: "ephemeral", doc: presentBatchList(list, ctx.config.timeZone) };
  },
});
