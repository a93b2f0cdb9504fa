import type { IntegrationRecord } from "../../data/records.ts";
import type { Block, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { integrationActions } from "./integration-detail.ts";
import { formatTime, truncate } from "./format.ts";
import { runsButton } from "./run-announcement.ts";
import { integrationLabel } from "./run-replies.ts";

/** An enable or disable as the channel sees it, or the private note that it already was so. */
interface StatusChangeView {
  integration: Pick<IntegrationRecord, "id" | "name" | "status" | "statusChangedAt" | "statusChangedBy" | "disabledReason">;
  changed: boolean;
  /** Who did it, in markup (a Slack mention or an email). */
  actor: string;
  timeZone: string;
  /** What the viewer may do next, for the buttons. */
  rights: { canRun: boolean; canManage: boolean };
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
  if (view.changed && when) blocks.push({ type: "context", text: `${integration.status === "disabled" ? "Disabled" : "Enabled"} ${when}` });
  blocks.push({ type: "actions", buttons: [...integrationActions(integration, view.rights), runsButton(integration.id)] });
  return { text: text.replace(/[*`]/g, "").replace(/<@([A-Z0-9]+)>/g, "@$1"), blocks };
}
