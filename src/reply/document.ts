/**
 * A message as a transport-neutral document: presenters build it, the Block Kit renderer
 * turns it into Slack blocks and the text renderer into the console's plain text.
 * Text uses Slack's light markup: *bold*, _italic_, `code`, <url|label>.
 */
export interface Doc {
  /** The notification / fallback text. */
  text: string;
  blocks: Block[];
}

/** One block of a document. */
export type Block =
  | { type: "header"; text: string }
  | { type: "section"; text: string; fields?: Field[]; button?: Button }
  | { type: "fields"; fields: Field[] }
  | {
      type: "table";
      columns: string[];
      rows: string[][];
      empty?: string;
      /** Column indexes, most important first: a narrow console keeps these and drops the rest (default: left to right). */
      priority?: number[];
    }
  | { type: "actions"; buttons: Button[] }
  | { type: "context"; text: string }
  | { type: "divider" };

/** A label and its value, shown side by side. */
export interface Field {
  label: string;
  value: string;
}

/** A button: clicking it runs `command` (the slash command's arguments) as whoever clicks. */
export interface Button {
  label: string;
  command: string;
  style?: "primary" | "danger";
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

/** A document with just one line of text. */
export function textDoc(text: string): Doc {
  return { text, blocks: [{ type: "section", text }] };
}

/** Escapes the three characters Slack's markup reserves, for text that comes from users or data. */
export function escapeMarkup(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
