import { expect } from "vitest";
import { eventually, type TestBot } from "../support/bot.ts";
import type { RecordedCall } from "../support/slack-api.ts";
import { buttonClickForm, postSigned, slashCommandForm } from "../support/slack-request.ts";

let counter = 0;

/** Sends a slash command as `user` and waits for its answer through the response_url. */
export async function command(t: TestBot, text: string, user: string, extra: Record<string, string> = {}): Promise<RecordedCall> {
  const id = `cmd${++counter}`;
  const response = await postSigned(t.baseUrl, slashCommandForm(text, user, t.slack.responseUrl(id), extra));
  expect(response.status).toBe(200);
  return eventually(() => t.slack.responses.find((r) => r.method === `/response/${id}`), 15_000);
}

/** Clicks a button (its command) as `user`, in `channel` when given; waits for the answer, or for a dialog when one opens instead. */
export async function click(t: TestBot, value: string, user: string, channel?: string): Promise<{ answer?: RecordedCall; dialog?: RecordedCall }> {
  const id = `clk${++counter}`;
  const dialogsBefore = t.slack.callsTo("views.open").length;
  const response = await postSigned(t.baseUrl, buttonClickForm(value, user, t.slack.responseUrl(id), channel ? { channel } : {}));
  expect(response.status).toBe(200);
  return eventually(() => {
    const answer = t.slack.responses.find((r) => r.method === `/response/${id}`);
    if (answer) return { answer };
    const dialogs = t.slack.callsTo("views.open");
    if (dialogs.length > dialogsBefore) return { dialog: dialogs[dialogs.length - 1]! };
    return undefined;
  }, 15_000);
}

/** Submits the typed-confirmation dialog as `user`; answers the HTTP answer's JSON (errors) and the later reply, if any. */
export async function submitDialog(t: TestBot, dialog: RecordedCall, typed: string, user: string): Promise<{ ack: Record<string, unknown>; answer?: RecordedCall }> {
  const view = (typeof dialog.body.view === "string" ? JSON.parse(dialog.body.view) : dialog.body.view) as Record<string, unknown>;
  const metadata = JSON.parse(String(view.private_metadata)) as { responseUrl?: string };
  const before = t.slack.responses.filter((r) => r.method === new URL(metadata.responseUrl!).pathname).length;
  const payload = {
    type: "view_submission",
    team: { id: "T1", domain: "acme" },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T1" },
    api_app_id: "A1",
    token: "deprecated-verification-token",
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    view: {
      id: "V1",
      team_id: "T1",
      type: "modal",
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      blocks: view.blocks,
      state: { values: { count: { count: { type: "plain_text_input", value: typed } } } },
      hash: "1",
      app_id: "A1",
      bot_id: "BBOT",
    },
    response_urls: [],
  };
  const response = await postSigned(t.baseUrl, { payload: JSON.stringify(payload) });
  expect(response.status).toBe(200);
  const text = await response.text();
  const ack = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (ack.response_action === "errors") return { ack };
  const path = new URL(metadata.responseUrl!).pathname;
  const answer = await eventually(() => {
    const all = t.slack.responses.filter((r) => r.method === path);
    return all.length > before ? all[all.length - 1] : undefined;
  }, 15_000);
  return { ack, answer };
}

/** The text of an answer's blocks, for matching. */
export const blocksOf = (call: RecordedCall | undefined): string => JSON.stringify(call?.body.blocks ?? []);

/** The buttons of an answer. */
export function buttonsOf(call: RecordedCall | undefined): Array<{ value: string; text: { text: string } }> {
  return ((call?.body.blocks ?? []) as Array<{ type: string; elements?: Array<{ value: string; text: { text: string } }> }>)
    .filter((block) => block.type === "actions")
    .flatMap((block) => block.elements ?? []);
}

/** The command of the first button labelled `label`. */
export function buttonCommand(call: RecordedCall | undefined, label: string): string {
  const button = buttonsOf(call).find((b) => b.text.text.startsWith(label));
  if (!button) throw new Error(`no ${label} button in ${blocksOf(call)}`);
  return button.value;
}

/** The batch id a preview's Confirm button carries. */
export function batchIdOf(preview: RecordedCall): string {
  return buttonCommand(preview, "Confirm").split(" ")[1]!;
}

/** The latest version of a batch's channel message (its post, or its last update). */
export function latestSummary(t: TestBot, batchId: string): RecordedCall | undefined {
  const calls = t.slack.calls.filter((call) => (call.method === "chat.postMessage" || call.method === "chat.update") && blocksOf(call).includes(batchId));
  return calls[calls.length - 1];
}

/** Waits until the batch's channel message says it finished, and answers that message. */
export function finalSummary(t: TestBot, batchId: string, timeoutMs = 20_000): Promise<RecordedCall> {
  return eventually(() => {
    const last = latestSummary(t, batchId);
    return last && /finished|aborted by .* before|expired/.test(String(last.body.text)) ? last : undefined;
  }, timeoutMs);
}
