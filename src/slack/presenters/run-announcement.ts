import type { RunStatus } from "../../reply/views.ts";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { ago, formatTime, runEmoji, truncate } from "./format.ts";

/** A manual run as its channel message shows it. */
interface RunAnnouncementView {
  integration: { id: string; name: string };
  run: { id: string; status: RunStatus; error: string | null; startedAt: Date; finishedAt: Date | null };
  /** Who asked, in markup: a Slack mention (`<@U…>`) or the operator's email. */
  requester: string;
  timeZone: string;
  now: Date;
}

/** The words for a manual run's state. */
function outcomeWords(status: RunStatus): string {
  switch (status) {
    case "success":
      return "*succeeded*";
    case "error":
      return "*failed*";
    case "retrying":
      return "*retrying*";
    case "running":
      return "*running*";
  }
}

/** The `Re-run` button of a run that ended; it asks first, like `Run`. */
export function rerunButton(integration: { id: string; name: string }): Button {
  const name = escapeMarkup(truncate(integration.name, 80));
  return {
    label: "Re-run",
    command: `run ${integration.id}`,
    style: "primary",
    confirm: { title: "Run this integration again?", text: `Run *${name}* (${integration.id}) now? The run is billed.`, confirm: "Run", deny: "Cancel" },
  };
}

/** The `Runs` button: the integration's flow runs, for whoever clicks. */
export function runsButton(integrationId: string): Button {
  return { label: "Runs", command: `runs ${integrationId}` };
}

/**
 * The channel message of a manual run: "Run of X requested by @y", then its outcome as the flow engine
 * (or later run events) report it, with `Re-run` once it ended.
 */
export function presentRunAnnouncement(view: RunAnnouncementView): Doc {
  const { integration, run } = view;
  const name = escapeMarkup(truncate(integration.name, 150));
  const finished = run.status === "success" || run.status === "error";
  const headline = `${runEmoji(run.status)} Run of *${name}* (\`${integration.id}\`) requested by ${view.requester}: ${outcomeWords(run.status)}`;
  const blocks: Block[] = [{ type: "section", text: headline }];
  if (run.status === "error" && run.error) blocks.push({ type: "section", text: `*Error:* ${escapeMarkup(truncate(run.error, 1000))}` });
  const timing = finished && run.finishedAt
    ? `finished ${formatTime(run.finishedAt, view.timeZone)}`
    : `started ${formatTime(run.startedAt, view.timeZone)} (${ago(run.startedAt, view.now, view.timeZone)}); the outcome will show here`;
  blocks.push({ type: "context", text: `Run \`${run.id}\` · ${timing}` });
  const buttons: Button[] = finished ? [rerunButton(integration), runsButton(integration.id)] : [runsButton(integration.id)];
  blocks.push({ type: "actions", buttons });
  const plainOutcome = outcomeWords(run.status).replace(/\*/g, "");
  return {
    text: `Run of ${integration.name} requested by ${view.requester}: ${plainOutcome}${run.status === "error" && run.error ? ` (${truncate(run.error, 200)})` : ""}`,
    blocks,
  };
}
