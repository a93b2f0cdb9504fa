import { recordAudit } from "../src/data/audit.ts";
import { createUndoBatch, findBatch, membersWithOutcome, newBatchId } from "../src/data/batches.ts";
import { undoAction } from "../src/domain/bulk.ts";
import { actorLabel } from "../src/domain/permissions.ts";
import { defineCommand } from "../src/slash/command.ts";
import { textDoc } from "../src/reply/document.ts";
import { batchIdArgument, loadBatch, mayControl, postSummary, refuse } from "../src/batches/steps.ts";

/**
 * `undo BATCH`: puts back exactly what a finished bulk disable or enable changed (its `changed` members, each
 * to its state before, a disable's reason included), as a new batch. Once: a second undo is refused.
 */
export const undo = defineCommand({
  name: "undo",
  usage: "undo BATCH",
  summary: "Put back what a finished bulk disable or enable changed, as a new batch.",
  need: "view",
  changes: true,
  arguments: { positional: ["BATCH"] },
  async execute(ctx, args) {
    const batch = await loadBatch(ctx, batchIdArgument("undo", args.positional[0]));
    const inverse = undoAction(batch.action);
    if (!inverse) return refuse(ctx, "undo", batch, `Batch \`${batch.id}\` ran integrations; runs cannot be undone.`, "noop");
    if (batch.undoneBy) return refuse(ctx, "undo", batch, `Batch \`${batch.id}\` was already undone by \`${batch.undoneBy}\`; nothing was changed.`, "noop");
    if (batch.status !== "finished") return refuse(ctx, "undo", batch, `Batch \`${batch.id}\` is ${batch.status.replace("_", " ")}: only a finished bulk disable or enable can be undone.`, "noop");
    const missing = await mayControl(ctx, batch, inverse);
    if (missing.length) {
      return refuse(ctx, "undo", batch, `Undoing batch \`${batch.id}\` needs *Can manage* on all of its groups; you lack it on ${missing.map((g) => `\`${g}\``).join(", ")}.`);
    }
    const changed = await membersWithOutcome(ctx.db, batch.id, ["changed"]);
    if (changed.length === 0) return refuse(ctx, "undo", batch, `Batch \`${batch.id}\` changed nothing; there is nothing to undo.`, "noop");
    const now = ctx.clock.now();
    const created = await createUndoBatch(ctx.db, batch.id, {
      id: newBatchId(),
      action: inverse,
      status: "queued",
      requestedBy: actorLabel(ctx.actor),
      requesterSlackUserId: ctx.actor.kind === "operator" ? (ctx.actor.slackUserId ?? null) : null,
      filterText: `undo ${batch.id}`,
      reason: null,
      apart: 0,
      undoOf: batch.id,
      expiresAt: null,
      members: changed.map((m) => ({ integrationId: m.integrationId, groupId: m.groupId, name: m.name, previousReason: m.previousReason })),
      at: now,
    });
    if (!created) {
      const again = await findBatch(ctx.db, batch.id);
      return refuse(ctx, "undo", batch, `Batch \`${batch.id}\` was already undone by \`${again?.undoneBy ?? "another batch"}\`; nothing was changed.`, "noop");
    }
    await recordAudit(ctx.db, { actor: ctx.actor, action: "undo", targetId: batch.id, outcome: "ok", detail: `${created.id} ${inverse}s the ${changed.length} integrations ${batch.id} changed`, at: now });
    const posted = await postSummary(ctx, created);
    ctx.services.batchWorker?.kick();
    return {
      visibility: "ephemeral",
      replaceOriginal: false,
      doc: textDoc(`Undoing batch \`${batch.id}\` as batch \`${created.id}\`: ${changed.length} integrations to ${inverse}${posted ? "; its summary is in the channel" : ""}.`),
    };
  },
});
