import { expect } from "vitest";
import { eventually, type TestBot } from "../support/bot.ts";
import { buttonClickForm, postSigned, slashCommandForm } from "../support/slack-request.ts";

/** One answer the bot posted to a request's response_url. */
interface Answer {
  body: Record<string, unknown>;
  /** The blocks and fallback text as one string, for `toContain`. */
  text: string;
  denied: boolean;
}

/** A Slack button in an answer: its label and the command text it carries. */
interface AnswerButton {
  label: string;
  value: string;
}

let counter = 0;

/** Sends real signed slash commands and button clicks to a test bot and waits for each answer. */
export class SlackSession {
  constructor(private t: TestBot) {}

  /** `/integrations TEXT` as a Slack user, from a channel (default C0OPS). */
  async command(text: string, user: string, options: { channel?: string } = {}): Promise<Answer> {
    const id = `cmd${++counter}`;
    const response = await postSigned(this.t.baseUrl, slashCommandForm(text, user, this.t.slack.responseUrl(id), options.channel ? { channel_id: options.channel } : {}));
    expect(response.status).toBe(200);
    return this.answer(id);
  }

  /** A click on an embedops button carrying `value`, by a Slack user. */
  async click(value: string, user: string, options: { channel?: string } = {}): Promise<Answer> {
    const id = `click${++counter}`;
    const response = await postSigned(this.t.baseUrl, buttonClickForm(value, user, this.t.slack.responseUrl(id), { channel: options.channel }));
    expect(response.status).toBe(200);
    return this.answer(id);
  }

  private async answer(id: string): Promise<Answer> {
    const posted = await eventually(() => this.t.slack.responses.find((r) => r.method === `/response/${id}`), 10_000);
    const text = `${String(posted.body.text ?? "")}\n${JSON.stringify(posted.body.blocks ?? [])}`;
    return { body: posted.body, text, denied: text.includes(":no_entry:") };
  }
}

/** The buttons of an answer. */
export function buttonsOf(answer: Answer): AnswerButton[] {
  const blocks = (answer.body.blocks ?? []) as Array<{ type: string; elements?: Array<{ type: string; value?: string; text?: { text: string } }>; accessory?: { value?: string; text?: { text: string } } }>;
  const out: AnswerButton[] = [];
  for (const block of blocks) {
    for (const element of block.elements ?? []) if (element.value !== undefined) out.push({ label: element.text?.text ?? "", value: element.value });
    if (block.accessory?.value !== undefined) out.push({ label: block.accessory.text?.text ?? "", value: block.accessory.value });
  }
  return out;
}

/** The integration ids a list answer shows (`Name (int_…)`). */
export function integrationIdsOf(answer: Answer): string[] {
  return [...JSON.stringify(answer.body.blocks ?? []).matchAll(/\((int_[A-Za-z0-9_]+)\)/g)].map((match) => match[1]!);
}
