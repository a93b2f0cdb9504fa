import type { IntegrationView, RunView } from "../../reply/views.ts";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { ago, formatTime, latestRunLabel, link, runEmoji, sharingLabel, truncate } from "./format.ts";

/** The columns of a flow run table. */
const RUN_COLUMNS = ["Run", "Status", "Trigger", "Started", "Finished", "Error"] as const;

/** Run, status, when it started and its error matter most; trigger and finish time go first on a narrow console. */
const RUN_PRIORITY = [0, 1, 3, 5, 2, 4];

/** The cells of one flow run, in RUN_COLUMNS order. */
function runCells(run: RunView, timeZone: string, errorWidth = 120): string[] {
  return [
    run.id,
    run.status,
    run.trigger + (run.requestedBy ? ` by ${run.requestedBy}` : ""),
    formatTime(run.startedAt, timeZone),
    formatTime(run.finishedAt, timeZone),
    run.error ? escapeMarkup(truncate(run.error, errorWidth)) : "",
  ];
}

/** What `show` shows: one integration, its last runs, and the actions the viewer may take. */
interface IntegrationDetailView {
  row: IntegrationView;
  runs: RunView[];
  now: Date;
  timeZone: string;
  canRun: boolean;
  canManage: boolean;
}

/** The Run / Disable / Enable buttons a viewer may use on an integration; Run and Disable ask first. */
export function integrationActions(row: Pick<IntegrationView, "id" | "name" | "status">, rights: { canRun: boolean; canManage: boolean }): Button[] {
  const buttons: Button[] = [];
  const name = escapeMarkup(truncate(row.name, 80));
  if (rights.canRun && row.status === "enabled") {
    buttons.push({
      label: "Run",
      command: `run ${row.id}`,
      style: "primary",
      confirm: { title: "Run this integration?", text: `Run *${name}* (${row.id}) now? The run is billed.`, confirm: "Run", deny: "Cancel" },
    });
  }
  if (rights.canManage && row.status === "enabled") {
    buttons.push({
      label: "Disable",
      command: `disable ${row.id}`,
      style: "danger",
      confirm: { title: "Disable this integration?", text: `Disable *${name}* (${row.id})? It stops running until enabled again.`, confirm: "Disable", deny: "Cancel" },
    });
  }
  if (rights.canManage && row.status === "disabled") buttons.push({ label: "Enable", command: `enable ${row.id}` });
  return buttons;
}

/** The kept verdict in the health words, with why. */
function healthText(health: NonNullable<IntegrationView["health"]>, reason: string | null): string {
  const word = health === "never_ran" ? "never ran" : health;
  return reason && health !== "healthy" ? `${word}: ${escapeMarkup(reason)}` : word;
}

/** Presents one integration with every column, its last runs, and its buttons. */
export function presentIntegrationDetail(view: IntegrationDetailView): Doc {
  const { row, timeZone, now } = view;
  const status =
    row.status === "disabled"
      ? `disabled${row.statusChangedBy ? ` by ${row.statusChangedBy}` : ""}${row.statusChangedAt ? ` on ${formatTime(row.statusChangedAt, timeZone)}` : ""}${row.disabledReason ? `: ${escapeMarkup(row.disabledReason)}` : ""}`
      : "enabled";
  const latest = row.latestRunStatus
    ? `${runEmoji(row.latestRunStatus)} ${row.latestRunStatus}, ${ago(row.latestRunAt, now, timeZone)}${row.failuresInRow > 1 ? ` (${row.failuresInRow} failures in a row)` : ""}`
    : "N/A (never ran)";
  const blocks: Block[] = [
    { type: "header", text: truncate(row.name, 140) },
    {
      type: "fields",
      fields: [
        { label: "Integration", value: `${escapeMarkup(row.name)} (\`${row.id}\`)` },
        { label: "Status", value: status },
        { label: "Latest run", value: latest },
        ...(row.status === "enabled" && row.health ? [{ label: "Health", value: healthText(row.health, row.healthReason) }] : []),
        { label: "Embed Flow", value: link(row.flowName, row.flowUrl) },
        { label: "Configuration ID", value: row.configurationId },
        { label: "Configuration name", value: escapeMarkup(row.configurationName) },
        { label: row.groupKind === "partner" ? "Partner name" : "Group name", value: escapeMarkup(row.groupName) },
        { label: "User ID", value: row.embedUserId + (row.embedUserName ? ` (${escapeMarkup(row.embedUserName)})` : "") },
        { label: "Account ID", value: row.embedAccountId },
        { label: "Sharing level", value: sharingLabel(row.sharingLevel) },
        { label: "Last success", value: row.lastSuccessAt ? `${formatTime(row.lastSuccessAt, timeZone)} (${ago(row.lastSuccessAt, now, timeZone)})` : "never" },
        { label: "Activated", value: formatTime(row.createdAt, timeZone) },
      ],
    },
  ];
  if (row.latestRunStatus === "error" && row.latestRunError) {
    blocks.push({ type: "section", text: `*Latest error:* ${escapeMarkup(truncate(row.latestRunError, 500))}` });
  }
  blocks.push({ type: "section", text: `*Last ${view.runs.length} run${view.runs.length === 1 ? "" : "s"}*` });
  blocks.push({ type: "table", columns: [...RUN_COLUMNS], rows: view.runs.map((run) => runCells(run, timeZone, 80)), priority: RUN_PRIORITY, empty: "_No runs yet._" });
  const buttons = integrationActions(row, view);
  buttons.push({ label: "All runs", command: `runs ${row.id}` });
  blocks.push({ type: "actions", buttons });
  return { text: `${row.name} (${row.id}): ${row.status}, latest run ${latestRunLabel(row.latestRunStatus)}`, blocks };
}

/** What `runs` shows: one page of an integration's flow runs. */
interface RunListView {
  integration: Pick<IntegrationView, "id" | "name">;
  runs: RunView[];
  timeZone: string;
  pageNumber: number;
  nextPageCommand?: string;
}

/** Presents a page of flow runs, newest first, with their error texts. */
export function presentRunList(view: RunListView): Doc {
  const title = `Flow runs of ${escapeMarkup(view.integration.name)} (${view.integration.id})`;
  const blocks: Block[] = [
    { type: "section", text: `*${title}*, page ${view.pageNumber}` },
    { type: "table", columns: [...RUN_COLUMNS], rows: view.runs.map((run) => runCells(run, view.timeZone, 300)), priority: RUN_PRIORITY, empty: "_No runs._" },
  ];
  if (view.nextPageCommand) blocks.push({ type: "actions", buttons: [{ label: "Next page", command: view.nextPageCommand }] });
  return { text: `${title}: ${view.runs.length} runs`, blocks };
}
