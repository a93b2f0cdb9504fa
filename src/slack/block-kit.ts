import type { Block, Button, Doc } from "../reply/document.ts";

/** Slack's limits on one message. */
export const SLACK_LIMITS = { blocks: 50, homeBlocks: 100, sectionText: 3000, fieldText: 2000, fields: 10, headerText: 150, buttonLabel: 75, buttonValue: 2000, actions: 25, fallback: 3000 };

/** The prefix of every action_id embedops puts on a button. */
export const ACTION_PREFIX = "embedops:";

import type { KnownBlock } from "@slack/types";

/** A Block Kit block as built here; checked against Slack's types where it is sent. */
type SlackBlock = Record<string, unknown>;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function plain(text: string, max: number) {
  return { type: "plain_text", text: clip(text || " ", max), emoji: true };
}

function mrkdwn(text: string, max: number) {
  return { type: "mrkdwn", text: clip(text || " ", max) };
}

/** Renders a document as Block Kit, within Slack's limits (50 blocks, or `maxBlocks`: 100 for a Home tab; 3000 characters a section). */
export function toBlockKit(doc: Doc, options: { maxBlocks?: number } = {}): { text: string; blocks: KnownBlock[] } {
  // Stays long: one short case per block type of the reply document.
  const maxBlocks = options.maxBlocks ?? SLACK_LIMITS.blocks;
  let buttonIndex = 0;
  const button = (b: Button): SlackBlock => {
    const element: SlackBlock = {
      type: "button",
      action_id: `${ACTION_PREFIX}${buttonIndex++}`,
      text: plain(b.label, SLACK_LIMITS.buttonLabel),
      value: clip(b.command, SLACK_LIMITS.buttonValue),
    };
    if (b.style) element.style = b.style;
    if (b.confirm) {
      element.confirm = {
        title: plain(b.confirm.title, 100),
        text: mrkdwn(b.confirm.text, 300),
        confirm: plain(b.confirm.confirm, 30),
        deny: plain(b.confirm.deny, 30),
      };
    }
    return element;
  };
  const out: SlackBlock[] = [];
  const render = (block: Block) => {
    switch (block.type) {
      case "header":
        out.push({ type: "header", text: plain(block.text, SLACK_LIMITS.headerText) });
        break;
      case "section": {
        const section: SlackBlock = { type: "section", text: mrkdwn(block.text, SLACK_LIMITS.sectionText) };
        if (block.fields?.length) section.fields = block.fields.slice(0, SLACK_LIMITS.fields).map((f) => mrkdwn(`*${f.label}*\n${f.value}`, SLACK_LIMITS.fieldText));
        if (block.button) section.accessory = button(block.button);
        out.push(section);
        break;
      }
      case "fields":
        for (let i = 0; i < block.fields.length; i += SLACK_LIMITS.fields) {
          out.push({
            type: "section",
            fields: block.fields.slice(i, i + SLACK_LIMITS.fields).map((f) => mrkdwn(`*${f.label}*\n${f.value}`, SLACK_LIMITS.fieldText)),
          });
        }
        break;
      case "table":
        if (block.rows.length === 0) {
          out.push({ type: "section", text: mrkdwn(block.empty ?? "_Nothing to show._", SLACK_LIMITS.sectionText) });
          break;
        }
        for (const row of block.rows) {
          const [first, ...others] = row;
          const details = others.map((value, i) => `${block.columns[i + 1]}: ${value}`).join("  ·  ");
          out.push({ type: "section", text: mrkdwn(`*${first ?? ""}*\n${details}`, SLACK_LIMITS.sectionText) });
        }
        break;
      case "actions":
        if (block.buttons.length) out.push({ type: "actions", elements: block.buttons.slice(0, SLACK_LIMITS.actions).map(button) });
        break;
      case "context":
        out.push({ type: "context", elements: [mrkdwn(block.text, SLACK_LIMITS.sectionText)] });
        break;
      case "divider":
        out.push({ type: "divider" });
        break;
    }
  };
  doc.blocks.forEach(render);
  if (out.length > maxBlocks) {
    // Keep the last actions block (paging, buttons) and say how much was cut.
    const last = out[out.length - 1];
    const keepActions = last?.type === "actions";
    const room = maxBlocks - 1 - (keepActions ? 1 : 0);
    const cut = out.length - room - (keepActions ? 1 : 0);
    const kept = out.slice(0, room);
    kept.push({ type: "context", elements: [mrkdwn(`… ${cut} more block${cut === 1 ? "" : "s"} not shown (Slack shows at most ${maxBlocks}).`, 300)] });
    if (keepActions && last) kept.push(last);
    return { text: clip(doc.text, SLACK_LIMITS.fallback), blocks: kept as unknown as KnownBlock[] };
  }
  return { text: clip(doc.text, SLACK_LIMITS.fallback), blocks: out as unknown as KnownBlock[] };
}
