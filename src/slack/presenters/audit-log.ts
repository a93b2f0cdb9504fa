import type { AuditEntryView } from "../../reply/views.ts";
import type { Block, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { formatTime, truncate } from "./format.ts";

/** The columns of the audit log. */
const AUDIT_COLUMNS = ["When", "Who", "What", "Target", "Outcome", "Detail"] as const;

/** What `audit` shows. */
interface AuditLogView {
  events: AuditEntryView[];
  /** The ID the log is narrowed to, if any. */
  about?: string;
  timeZone: string;
  pageNumber: number;
  nextPageCommand?: string;
}

/** Presents a page of the audit log, latest first. */
export function presentAuditLog(view: AuditLogView): Doc {
  const heading = view.about ? `Audit log for \`${escapeMarkup(view.about)}\`` : "Audit log";
  const blocks: Block[] = [
    { type: "section", text: `*${heading}*, latest first (${view.events.length} on page ${view.pageNumber})` },
    {
      type: "table",
      columns: [...AUDIT_COLUMNS],
      rows: view.events.map((event) => [
        formatTime(event.at, view.timeZone),
        escapeMarkup(event.actor),
        escapeMarkup(event.action),
        escapeMarkup([event.targetId, event.groupId && event.groupId !== event.targetId ? `(${event.groupId})` : ""].filter(Boolean).join(" ") || "—"),
        event.outcome,
        escapeMarkup(truncate(event.detail ?? "", 80)) || "—",
      ]),
      priority: [0, 1, 2, 3, 4, 5],
      empty: view.about ? "_Nothing in the audit log about this._" : "_The audit log is empty._",
    },
  ];
  if (view.nextPageCommand) blocks.push({ type: "actions", buttons: [{ label: "Next page", command: view.nextPageCommand }] });
  return { text: `${heading}: ${view.events.length}`, blocks };
}
