import type { Block, Button, Doc } from "../reply/document.ts";

/** Emoji the bot uses that carry meaning, as words for the console; other emoji codes are dropped. */
const EMOJI_WORDS: Record<string, string> = {
  warning: "Error:",
  no_entry: "Denied:",
  white_check_mark: "OK:",
  x: "Failed:",
  hourglass_flowing_sand: "Pending:",
};

/** Turns Slack markup into plain text: links as `label (url)`, mentions as #C… / @U…, no bold, code or emoji markers. */
export function plainText(markup: string, links: "label-and-url" | "label" = "label-and-url"): string {
  return markup
    .replace(/(^|\s):([a-z][a-z0-9_+-]*):(\s|$)/g, (_, before: string, name: string, after: string) =>
      EMOJI_WORDS[name] ? `${before}${EMOJI_WORDS[name]}${after}` : before,
    )
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, links === "label" ? "$2" : "$2 ($1)")
    .replace(/<(https?:[^>]+)>/g, "$1")
    .replace(/<#([A-Z0-9]+)(\|[^>]*)?>/g, "#$1")
    .replace(/<@([A-Z0-9]+)(\|[^>]*)?>/g, "@$1")
    .replace(/<!subteam\^([A-Z0-9]+)(\|[^>]*)?>/g, "@$1")
    .replace(/```\n?([\s\S]*?)\n?```/g, "$1")
    .replace(/`([^`\n]*)`/g, "$1")
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s.,:;)!?])/g, "$1$2")
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s.,:;)!?])/g, "$1$2")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Cuts text to `width` characters with `…`; a trailing `(id)` is kept whole when there is room for it. */
function cut(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return "…".slice(0, Math.max(width, 0));
  const withId = /^(.+) (\([^()\s]+\))$/.exec(text);
  if (withId && withId[2]!.length + 3 <= width) {
    const room = width - withId[2]!.length - 1;
    return `${withId[1]!.slice(0, room - 1).trimEnd()}… ${withId[2]}`;
  }
  return `${text.slice(0, width - 1).trimEnd()}…`;
}

/** Breaks one line into lines of at most `width` characters at spaces; continuation lines keep the indent. */
function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = /^\s*/.exec(line)![0];
  // A button or bullet hangs its continuation under its text; a paragraph goes on at its own indent.
  const hangs = /^\s*(\[|• )/.test(line);
  const hanging = indent.length + (hangs ? 2 : 0) < width / 2 ? `${indent}${hangs ? "  " : ""}` : "";
  const out: string[] = [];
  let current = "";
  for (const word of line.slice(indent.length).split(/ +/)) {
    const prefix = out.length === 0 ? indent : hanging;
    const candidate = current ? `${current} ${word}` : `${prefix}${word}`;
    if (candidate.length <= width) {
      current = candidate;
      continue;
    }
    if (current) out.push(current);
    let rest = `${out.length === 0 && !current ? indent : hanging}${word}`;
    while (rest.length > width) {
      out.push(rest.slice(0, width));
      rest = `${hanging}${rest.slice(width)}`;
    }
    current = rest;
  }
  if (current.trim()) out.push(current);
  return out;
}

/** The gap between two table columns. */
const GAP = 2;
/** A column gets at most this many characters while other columns still want room. */
const SOFT_CAP = 32;

/**
 * Chooses the columns that fit `width` (most important first, per `priority`) and the width of each: a column
 * is kept when it fits at its natural width (up to SOFT_CAP), or at a readable minimum in the room that is left;
 * room left over goes to the most important columns first.
 */
function fitColumns(natural: number[], headers: string[], width: number, priority?: number[]): Map<number, number> {
  const order = (priority ?? natural.map((_, i) => i)).filter((i) => i >= 0 && i < natural.length);
  const chosen = new Map<number, number>();
  let used = 0;
  for (const i of order) {
    const gap = chosen.size ? GAP : 0;
    const want = Math.min(natural[i]!, SOFT_CAP);
    const least = Math.min(natural[i]!, Math.max(8, Math.min(headers[i]!.length, 12)));
    const room = width - used - gap;
    if (want <= room) chosen.set(i, want);
    else if (least <= room) chosen.set(i, room);
    else if (chosen.size === 0) chosen.set(i, Math.max(room, 1));
    else continue;
    used += gap + chosen.get(i)!;
  }
  for (const i of order) {
    if (!chosen.has(i) || used >= width) continue;
    const grow = Math.min(natural[i]! - chosen.get(i)!, width - used);
    if (grow > 0) {
      chosen.set(i, chosen.get(i)! + grow);
      used += grow;
    }
  }
  return chosen;
}

/** Pads cells into aligned columns; with a width, drops and shortens columns so that no line is longer. */
export function alignColumns(columns: string[], rows: string[][], width = Infinity, priority?: number[]): string[] {
  const links = Number.isFinite(width) ? "label" : "label-and-url";
  const all = [columns, ...rows].map((row) => row.map((cell) => plainText(cell, links).replace(/\s+/g, " ").trim()));
  const natural = columns.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const fitted = Number.isFinite(width) ? fitColumns(natural, columns, width, priority) : new Map(natural.map((w, i) => [i, w]));
  const shown = columns.map((_, i) => i).filter((i) => fitted.has(i));
  const line = (row: string[]) =>
    shown.map((i, n) => (n === shown.length - 1 ? cut(row[i] ?? "", fitted.get(i)!) : cut(row[i] ?? "", fitted.get(i)!).padEnd(fitted.get(i)!))).join(" ".repeat(GAP)).trimEnd();
  const [header, ...body] = all;
  return [line(header ?? []), shown.map((i) => "-".repeat(fitted.get(i)!)).join(" ".repeat(GAP)), ...body.map(line)];
}

/** Options of the text renderer. */
interface TextOptions {
  /** The slash command buttons show as (`/integrations`). */
  slashCommand?: string;
  /** The terminal's width: no line is longer (unbounded when not given). */
  width?: number;
}

/** Renders a document as console text; a button shows as the command that does the same. */
export function toText(doc: Doc, slashCommandOrOptions: string | TextOptions = "/integrations"): string {
  const options = typeof slashCommandOrOptions === "string" ? { slashCommand: slashCommandOrOptions } : slashCommandOrOptions;
  const slashCommand = options.slashCommand ?? "/integrations";
  const width = options.width !== undefined && options.width > 0 ? Math.max(20, Math.floor(options.width)) : Infinity;
  const bounded = Number.isFinite(width);
  const button = (b: Button) => `[${b.label}] ${slashCommand} ${b.command}`;
  const lines: string[] = [];
  const prose = (text: string) => {
    for (const line of plainText(text, bounded ? "label" : "label-and-url").split("\n")) lines.push(...(bounded ? wrapLine(line.trimEnd(), width) : [line]));
  };
  const render = (block: Block) => {
    switch (block.type) {
      case "header": {
        const title = plainText(block.text).replace(/\s+/g, " ");
        prose(title);
        lines.push("=".repeat(Math.min(title.length, bounded ? width : 80)));
        break;
      }
      case "section":
        prose(block.text);
        for (const field of block.fields ?? []) prose(`  ${field.label}: ${field.value}`);
        if (block.button) prose(`  ${button(block.button)}`);
        break;
      case "fields": {
        const labelWidth = Math.min(Math.max(...block.fields.map((f) => f.label.length)) + 1, bounded ? Math.floor(width / 3) : Infinity);
        for (const field of block.fields) {
          const label = cut(`${field.label}:`, labelWidth).padEnd(labelWidth);
          const value = plainText(field.value).replace(/\s+/g, " ").trim();
          const room = width - labelWidth - 2;
          if (!bounded || value.length <= room) {
            lines.push(`${label}  ${value}`);
            continue;
          }
          // A link too long for the line: its label, and its address on the next line under it.
          const url = /^<(https?:[^|>]+)\|[^>]+>$/.exec(field.value.trim())?.[1];
          lines.push(`${label}  ${cut(plainText(field.value, "label"), room)}`);
          if (url) lines.push(`${" ".repeat(labelWidth + 2)}${cut(url, room)}`);
        }
        break;
      }
      case "table":
        if (block.rows.length === 0) prose(block.empty ?? "Nothing to show.");
        else lines.push(...alignColumns(block.columns, block.rows, width, block.priority));
        break;
      case "actions":
        for (const b of block.buttons) prose(`  ${button(b)}`);
        break;
      case "context":
        prose(block.text);
        break;
      case "divider":
        lines.push("");
        break;
    }
  };
  doc.blocks.forEach(render);
  return lines.join("\n");
}

/** The width console answers are rendered to: COLUMNS when set, else the terminal's, else 80. */
export function terminalWidth(env: NodeJS.ProcessEnv, output: { isTTY?: boolean; columns?: number }): number {
  const fromEnv = Number(env.COLUMNS);
  if (env.COLUMNS && Number.isInteger(fromEnv) && fromEnv >= 20) return fromEnv;
  if (output.isTTY && output.columns && output.columns >= 20) return output.columns;
  return 80;
}
