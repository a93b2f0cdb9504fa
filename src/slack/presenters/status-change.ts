import type { IntegrationView } from "../../reply/views.ts";
import type { Block, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { integrationActions } from "./integration-detail.ts";
import { formatTime, money, truncate } from "./format.ts";
import { runsButton } from "./run-announcement.ts";
import { integrationLabel } from "./run-replies.ts";

/** An enable or disable as the channel sees it, or the private note that it already was so. */
interface StatusChangeView {
  integration: Pick<IntegrationView, "id" | "name" | "status" | "statusChangedAt" | "statusChangedBy" | "disabledReason">;
  changed: boolean;
  /** Who did it, in markup (a Slack mention or an email). */
  actor: string;
  timeZone: string;
  /** What the viewer may do next, for the buttons. */
  rights: { canRun: boolean; canManage: boolean };
  /** A disable's receipt: its last three errors, and its runs of the last 30 days and what they cost. */
  receipt?: { lastErrors: Array<{ at: Date; error: string | null }>; runs30d: number; cost: number; currency: string };
}

/** Presents the outcome of `disable` or `enable`: who, when and why, with the next sensible button. */
export function presentStatusChange(view: StatusChangeView): Doc {
  const { integration } = view;
  const label = integrationLabel(integration);
  const when = integration.statusChangedAt ? formatTime(integration.statusChangedAt, view.timeZone) : "";
  const reason = integration.disabledReason ? `: ${escapeMarkup(truncate(integration.disabledReason, 500))}` : "";
  let text: string;
  if (view.changed) {
    text = integration.status === "disabled"
      ? `:no_entry_sign: ${label} was disabled by ${view.actor}${reason}. It does not run until enabled again.`
      : `:white_check_mark: ${label} was enabled by ${view.actor}. It runs on its trigger again.`;
  } else {
    const by = integration.statusChangedBy ? ` by ${escapeMarkup(integration.statusChangedBy)}` : "";
    text = integration.status === "disabled"
      ? `${label} is already disabled${by}${when ? ` since ${when}` : ""}${reason}. Nothing changed.`
      : `${label} is already enabled${by}${when ? ` since ${when}` : ""}. Nothing changed.`;
  }
  const blocks: Block[] = [{ type: "section", text }];
  if (view.changed && when) blocks.push({ type: "context", text: `${integration.status === "disabled" ? "Disabled" : "Enabled"} ${when}${integration.status === "disabled" && !integration.disabledReason ? " · no reason given" : ""}` });
  if (view.receipt) {
    blocks.push({
      type: "fields",
      fields: [
        { label: "Runs in the last 30 days", value: String(view.receipt.runs30d) },
        { label: "Their cost", value: money(view.receipt.cost, view.receipt.currency) },
      ],
    });
    const errors = view.receipt.lastErrors;
    blocks.push({
      type: "section",
      text: errors.length
        ? `Last errors:\n${errors.map((e) => `• ${formatTime(e.at, view.timeZone)}: ${escapeMarkup(truncate(e.error ?? "error", 200))}`).join("\n")}`
        : "No failed run on record.",
    });
  }
  blocks.push({ type: "actions", buttons: [...integrationActions(integration, view.rights), runsButton(integration.id)] });
  return { text: text.replace(/[*`]/g, "").replace(/<@([A-Z0-9]+)>/g, "@$1"), blocks };
}
