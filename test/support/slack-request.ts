import { createHmac } from "node:crypto";

/** The signing secret the test bots verify with. */
export const TEST_SIGNING_SECRET = "test-signing-secret-0123456789";

/** Signs a body as Slack does: v0 HMAC-SHA256 over `v0:TIMESTAMP:BODY`. */
export function slackSignature(body: string, secret: string, timestamp: number): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** Posts a form-encoded, signed request to the bot's /slack/events, exactly as Slack sends it. */
export async function postSigned(baseUrl: string, form: Record<string, string>, options: { secret?: string; timestamp?: number } = {}): Promise<Response> {
  const body = new URLSearchParams(form).toString();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(`${baseUrl}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": slackSignature(body, options.secret ?? TEST_SIGNING_SECRET, timestamp),
    },
    body,
  });
}

/** A slash command payload as Slack sends it. */
export function slashCommandForm(text: string, user: string, responseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    token: "deprecated-verification-token",
    team_id: "T1",
    team_domain: "acme",
    channel_id: extra.channel_id ?? "C0OPS",
    channel_name: "ops",
    user_id: user,
    user_name: user.toLowerCase(),
    command: extra.command ?? "/integrations",
    text,
    api_app_id: "A1",
    is_enterprise_install: "false",
    response_url: responseUrl,
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    ...extra,
  };
}

/** A block_actions payload for a click on an embedops button, as Slack sends it (form field `payload`). */
export function buttonClickForm(value: string, user: string, responseUrl: string, options: { channel?: string; actionId?: string; messageTs?: string } = {}): Record<string, string> {
  const payload = {
    type: "block_actions",
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T1" },
    api_app_id: "A1",
    token: "deprecated-verification-token",
    container: { type: "message", message_ts: options.messageTs ?? "1700000000.000100", channel_id: options.channel ?? "C0OPS", is_ephemeral: false },
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    team: { id: "T1", domain: "acme" },
    channel: { id: options.channel ?? "C0OPS", name: "ops" },
    message: { type: "message", ts: options.messageTs ?? "1700000000.000100", text: "", blocks: [] },
    response_url: responseUrl,
    actions: [
      {
        action_id: options.actionId ?? "embedops:0",
        block_id: "b1",
        text: { type: "plain_text", text: "button" },
        value,
        type: "button",
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
  return { payload: JSON.stringify(payload) };
}
