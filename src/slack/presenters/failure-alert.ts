import { elapsed } from "../../domain/relative-time.ts";
import type { IntegrationView } from "../../reply/views.ts";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { formatTime, link, truncate } from "./format.ts";
import { integrationActions } from "./integration-detail.ts";
import { rerunButton, runsButton } from "./run-announcement.ts";
import { integrationLabel } from "./run-replies.ts";

/** Where a failure alert stands: still failing, recovered, or switched off. */
export type FailureAlertState = "open" | "recovered" | "disabled";

/** One failure alert as its channel message shows it. */
interface FailureAlertView {
  row: Pick<IntegrationView, "id" | "name" | "status" | "groupName" | "groupKind" | "configurationId" | "configurationName" | "flowName" | "flowUrl" | "embedUserId" | "embedAccountId" | "statusChangedBy" | "disabledReason" | "latestRunAt">;
  state: FailureAlertState;
  /** When the failure streak began. */
  streakStartedAt: Date;
  failuresInRow: number;
  /** The error that raised the alert (or the latest one while it is open). */
  error: string | null;
  /** `overdue`: the integration stopped running on its schedule (default `failing`). */
  kind?: "failing" | "overdue";
  /** Why it is failing or overdue, in words, when the failure streak alone does not say it. */
  reason?: string | null;
  /** When the streak ended: the recovering run, or the disable. */
  endedAt?: Date | null;
  now: Date;
  timeZone: string;
}

/** How long a streak lasted, in words: `3 hours`. */
function lasted(from: Date, to: Date, timeZone: string): string {
  return elapsed(from, to, timeZone);
}

/**
 * The failure alert: the integration that started failing, its error, how long it has failed, and
 * `Re-run`, `Disable` (which asks first) and `Runs`; later the same message says it recovered or was disabled.
 */
export function presentFailureAlert(view: FailureAlertView): Doc {
  const { row } = view;
  const label = integrationLabel(row);
  const since = formatTime(view.streakStartedAt, view.timeZone);
  const end = view.endedAt ?? view.now;
  const blocks: Block[] = [];
  let text: string;
  const word = view.kind === "overdue" ? "overdue" : "failing";
  const reason = view.reason ? escapeMarkup(view.reason) : "";
  if (view.state === "open" && (view.kind === "overdue" || view.reason)) {
    text = `${row.name} (${row.id}) is ${word}: ${view.reason ?? ""}`;
    blocks.push({ type: "section", text: `${view.kind === "overdue" ? ":alarm_clock:" : ":rotating_light:"} ${label} is ${word}: ${reason} (since ${since}).` });
  } else if (view.state === "open") {
    text = `${row.name} (${row.id}) is failing: ${view.failuresInRow} failed runs in a row, for ${lasted(view.streakStartedAt, view.now, view.timeZone)}`;
    blocks.push({
      type: "section",
      text: `:rotating_light: ${label} is failing: *${view.failuresInRow}* failed runs in a row since ${since} (for ${lasted(view.streakStartedAt, view.now, view.timeZone)}).`,
    });
  } else if (view.state === "recovered") {
    const after = view.kind === "overdue" ? "being overdue" : "failing";
    text = `${row.name} (${row.id}) recovered after ${after} for ${lasted(view.streakStartedAt, end, view.timeZone)}`;
    blocks.push({
      type: "section",
      text: `:large_green_circle: ${label} recovered${view.endedAt ? ` on ${formatTime(view.endedAt, view.timeZone)}` : ""}, after ${after} for ${lasted(view.streakStartedAt, end, view.timeZone)} (since ${since}).`,
    });
  } else {
    text = `${row.name} (${row.id}) was disabled after ${word === "overdue" ? "being overdue" : "failing"} for ${lasted(view.streakStartedAt, end, view.timeZone)}`;
    const by = row.statusChangedBy ? ` by ${escapeMarkup(row.statusChangedBy)}` : "";
    const why = row.disabledReason ? `: ${escapeMarkup(truncate(row.disabledReason, 300))}` : "";
    blocks.push({
      type: "section",
      text: `:no_entry_sign: ${label} was disabled${by}${why}, after ${word === "overdue" ? "being overdue" : "failing"} for ${lasted(view.streakStartedAt, end, view.timeZone)} (since ${since}).`,
    });
  }
  blocks.push({
    type: "fields",
    fields: [
      { label: row.groupKind === "partner" ? "Partner" : "Group", value: escapeMarkup(row.groupName) },
      { label: "Configuration", value: `${escapeMarkup(row.configurationName)} (\`${row.configurationId}\`)` },
      { label: "Embed Flow", value: link(row.flowName, row.flowUrl) },
      { label: "User / Account", value: `${escapeMarkup(row.embedUserId)} / ${escapeMarkup(row.embedAccountId)}` },
    ],
  });
  if (view.error) {
    blocks.push({ type: "section", text: `*${view.state === "open" ? "Latest error" : "Error"}:* ${escapeMarkup(truncate(view.error, 1000))}` });
  }
  const buttons: Button[] = [];
  if (view.state === "open") {
    buttons.push(rerunButton(row));
    // The same Disable (with its confirmation) as `show` offers; every click is checked for whoever clicks.
    buttons.push(...integrationActions(row, { canRun: false, canManage: true }));
  }
  buttons.push(runsButton(row.id));
  blocks.push({ type: "actions", buttons });
  return { text, blocks };
}
