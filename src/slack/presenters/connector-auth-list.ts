import type { ConnectorAuthView } from "../../reply/views.ts";
import type { Block, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { sharingLabel, truncate } from "./format.ts";

/** The columns of the platform's Connector Auths list. */
const CONNECTOR_AUTH_COLUMNS = ["Name", "Connector", "Proprietary", "User ID", "Account ID", "Sharing level"] as const;

/** What `auths` shows. */
interface ConnectorAuthListView {
  auths: ConnectorAuthView[];
  filterText: string;
  pageNumber: number;
  nextPageCommand?: string;
}

/** Presents a page of connector auths with the platform's columns. */
export function presentConnectorAuthList(view: ConnectorAuthListView): Doc {
  const heading = view.filterText ? `Connector auths matching \`${escapeMarkup(view.filterText)}\`` : "Connector auths";
  const blocks: Block[] = [
    { type: "section", text: `*${heading}* (${view.auths.length} on page ${view.pageNumber})` },
    {
      type: "table",
      columns: [...CONNECTOR_AUTH_COLUMNS],
      rows: view.auths.map((auth) => [
        escapeMarkup(truncate(auth.name, 80)),
        escapeMarkup(auth.connectorName),
        auth.proprietary ? "Yes" : "No",
        auth.embedUserId,
        auth.embedAccountId,
        sharingLabel(auth.sharingLevel),
      ]),
      priority: [0, 1, 3, 4, 2, 5],
      empty: "_No connector auth you may view matches._",
    },
  ];
  if (view.nextPageCommand) blocks.push({ type: "actions", buttons: [{ label: "Next page", command: view.nextPageCommand }] });
  return { text: `${heading}: ${view.auths.length}`, blocks };
}
