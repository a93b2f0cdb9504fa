import type { IntegrationView } from "../../reply/views.ts";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { latestRunLabel, link, sharingLabel, truncate } from "./format.ts";

/** The columns of the platform's Integrations list, in its order. */
export const INTEGRATION_COLUMNS = [
  "Integration", "Status", "Latest run", "Embed Flow", "Configuration ID", "Configuration name", "Group name", "User ID", "Account ID", "Sharing level",
] as const;

/** The cells of one integration, in INTEGRATION_COLUMNS order (Slack markup; the console strips it). */
function integrationCells(row: IntegrationView): string[] {
  return [
    `${escapeMarkup(truncate(row.name, 60))} (${row.id})`,
    row.status,
    latestRunLabel(row.latestRunStatus),
    link(truncate(row.flowName, 40), row.flowUrl),
    row.configurationId,
    escapeMarkup(truncate(row.configurationName, 40)),
    escapeMarkup(truncate(row.groupName, 40)),
    row.embedUserId,
    row.embedAccountId,
    sharingLabel(row.sharingLevel),
  ];
}

/** What `list` shows: one page of integrations and how to get the next. */
interface IntegrationListView {
  rows: IntegrationView[];
  /** The filters as typed, shown in the heading. */
  filterText: string;
  /** The command that shows the next page, if there is one. */
  nextPageCommand?: string;
  pageNumber: number;
}

/** Presents a page of integrations: a table with the platform's columns, and `Next page`. */
export function presentIntegrationList(view: IntegrationListView): Doc {
  const heading = view.filterText ? `Integrations matching \`${escapeMarkup(view.filterText)}\`` : "Integrations";
  const count = `${view.rows.length} on page ${view.pageNumber}${view.nextPageCommand ? ", more on the next" : ""}`;
  const blocks: Block[] = [
    { type: "section", text: `*${heading}* (${count})` },
    {
      type: "table",
      columns: [...INTEGRATION_COLUMNS],
      rows: view.rows.map(integrationCells),
      // Name and id, status, latest run, then where it belongs and whose it is; the flow and configuration last.
      priority: [0, 1, 2, 6, 8, 7, 3, 5, 4, 9],
      empty: "_No integration you may view matches._",
    },
  ];
  const buttons: Button[] = [];
  if (view.nextPageCommand) buttons.push({ label: "Next page", command: view.nextPageCommand });
  if (view.rows.length) blocks.push({ type: "context", text: "`show ID` for details, runs and actions." });
  if (buttons.length) blocks.push({ type: "actions", buttons });
  return { text: `${heading}: ${count}`, blocks };
}
