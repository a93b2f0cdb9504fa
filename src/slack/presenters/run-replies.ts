import type { IntegrationView, RunView } from "../../reply/views.ts";
import type { Block, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { ago, formatTime, truncate } from "./format.ts";

/** How an integration is named in one line: *Name* (`id`). */
export function integrationLabel(integration: Pick<IntegrationView, "id" | "name">): string {
  return `*${escapeMarkup(truncate(integration.name, 150))}* (\`${integration.id}\`)`;
}

/** The answer to `run` of a disabled integration: not run, and how to enable it. */
export function presentRunOfDisabled(view: { integration: Pick<IntegrationView, "id" | "name" | "statusChangedBy" | "statusChangedAt" | "disabledReason">; slashCommand: string; canEnable: boolean; timeZone: string }): Doc {
  const { integration } = view;
  const since = [
    integration.statusChangedBy ? `by ${escapeMarkup(integration.statusChangedBy)}` : "",
    integration.statusChangedAt ? `on ${formatTime(integration.statusChangedAt, view.timeZone)}` : "",
  ].filter(Boolean).join(" ");
  const why = integration.disabledReason ? `: ${escapeMarkup(truncate(integration.disabledReason, 300))}` : "";
  const how = view.canEnable
    ? `Enable it with \`${view.slashCommand} enable ${integration.id}\`, then run it again.`
    : `It must be enabled first (\`${view.slashCommand} enable ${integration.id}\`, which needs *Can manage* on its group).`;
  const blocks: Block[] = [{ type: "section", text: `:no_entry_sign: ${integrationLabel(integration)} is disabled${since ? ` ${since}` : ""}${why}, so it was not run. ${how}` }];
  if (view.canEnable) blocks.push({ type: "actions", buttons: [{ label: "Enable", command: `enable ${integration.id}` }] });
  return { text: `${integration.name} is disabled, so it was not run.`, blocks };
}

/** The answer when the integration's manual run is still running (or this request was already handled): nothing sent. */
export function presentRunInFlight(view: { integration: Pick<IntegrationView, "id" | "name">; run: Pick<RunView, "id" | "status" | "requestedBy" | "startedAt">; duplicate: boolean; now: Date; timeZone: string }): Doc {
  const { integration, run } = view;
  const who = run.requestedBy ? escapeMarkup(run.requestedBy) : "someone";
  const when = `${formatTime(run.startedAt, view.timeZone)} (${ago(run.startedAt, view.now, view.timeZone)})`;
  const text = view.duplicate
    ? `:repeat: This run of ${integrationLabel(integration)} was already requested by ${who} at ${when}: run \`${run.id}\`, ${run.status}. Nothing more was sent.`
    : `:hourglass_flowing_sand: ${integrationLabel(integration)} is already running: run \`${run.id}\` was started by ${who} at ${when}. Nothing was sent; wait for it to finish.`;
  return { text: text.replace(/[*`]/g, ""), blocks: [{ type: "section", text }] };
}

/** The answer when run requests cannot be signed: nothing sent. */
export function presentRunnerNotConfigured(integration: Pick<IntegrationView, "id" | "name">): Doc {
  const text = `:warning: ${integrationLabel(integration)} was not run: the bot has no \`RUNNER_SIGNING_SECRET\`, so the flow engine could not trust its run request. Nothing was sent; ask whoever runs the bot to set it.`;
  return { text: text.replace(/[*`]/g, ""), blocks: [{ type: "section", text }] };
}

/** The private answer to whoever asked for a run: the run's id, and where its outcome shows. */
export function presentRunRequested(view: { integration: Pick<IntegrationView, "id" | "name">; runId: string; where: "channel" | "here" }): Doc {
  const text = `:rocket: Run \`${view.runId}\` of ${integrationLabel(view.integration)} requested; its outcome will show in ${view.where === "channel" ? "the channel message" : "the message above"}.`;
  return { text: text.replace(/[*`]/g, ""), blocks: [{ type: "section", text }] };
}
