import type { Block, Button, Doc } from "./document.ts";

/** Emoji the bot uses that carry meaning, as words for the console; other emoji codes are dropped. */
const EMOJI_WORDS: Record<string, string> = {
  warning: "Error:",
  no_entry: "Denied:",
  white_check_mark: "OK:",
  x: "Failed:",
  hourglass_flowing_sand: "Pending:",
};

/** Turns Slack markup into plain text: links as `label (url)`, mentions as #C… / @U…, no bold markers or emoji. */
export function plainText(markup: string): string {
  return markup
    .replace(/(^|\s):([a-z][a-z0-9_+-]*):(\s|$)/g, (_, before: string, name: string, after: string) =>
      EMOJI_WORDS[name] ? `${before}${EMOJI_WORDS[name]}${after}` : before,
    )
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:[^>]+)>/g, "$1")
    .replace(/<#([A-Z0-9]+)(\|[^>]*)?>/g, "#$1")
    .replace(/<@([A-Z0-9]+)(\|[^>]*)?>/g, "@$1")
    .replace(/<!subteam\^([A-Z0-9]+)(\|[^>]*)?>/g, "@$1")
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s.,:;)!?])/g, "$1$2")
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s.,:;)!?])/g, "$1$2")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Pads cells into aligned columns. */
export function alignColumns(columns: string[], rows: string[][]): string[] {
  const all = [columns, ...rows].map((row) => row.map((cell) => plainText(cell).replace(/\s+/g, " ")));
  const widths = columns.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  const [header, ...body] = all;
  return [line(header ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
}

/** Renders a document as console text; a button shows as the command that does the same. */
export function toText(doc: Doc, slashCommand = "/integrations"): string {
  const button = (b: Button) => `[${b.label}] ${slashCommand} ${b.command}`;
  const lines: string[] = [];
  const render = (block: Block) => {
    switch (block.type) {
      case "header":
        lines.push(plainText(block.text), "=".repeat(Math.min(plainText(block.text).length, 80)));
        break;
      case "section":
        lines.push(plainText(block.text));
        for (const field of block.fields ?? []) lines.push(`  ${field.label}: ${plainText(field.value)}`);
        if (block.button) lines.push(`  ${button(block.button)}`);
        break;
      case "fields": {
        const width = Math.max(...block.fields.map((f) => f.label.length));
        for (const field of block.fields) lines.push(`${`${field.label}:`.padEnd(width + 1)}  ${plainText(field.value).replace(/\n/g, " ")}`);
        break;
      }
      case "table":
        if (block.rows.length === 0) lines.push(plainText(block.empty ?? "Nothing to show."));
        else lines.push(...alignColumns(block.columns, block.rows));
        break;
      case "actions":
        for (const b of block.buttons) lines.push(`  ${button(b)}`);
        break;
      case "context":
        lines.push(plainText(block.text));
        break;
      case "divider":
        lines.push("");
        break;
    }
  };
  doc.blocks.forEach(render);
  return lines.join("\n");
}
