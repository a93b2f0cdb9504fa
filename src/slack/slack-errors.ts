import { EmbedopsError, ErrorCode } from "../errors.ts";
import { log } from "../log.ts";
import { slackApiErrorsTotal } from "../metrics.ts";

/** What went wrong with a Slack Web API call, in Slack's words, and what an operator should do about it. */
export interface SlackFailure {
  /** Slack's error code (`channel_not_found`), or `http_500`, `network`, `rate_limited`. */
  code: string;
  /** True when retrying cannot help: the channel, the token or the app's setup must change first. */
  permanent: boolean;
  /** What to do, for the log and for `embedops job …`. */
  hint?: string;
}

/** Hints for Slack's permanent errors: each says what to change. */
const HINTS: Record<string, (channel?: string) => string> = {
  channel_not_found: (channel) =>
    `the channel ${channel ?? ""} does not exist or the bot cannot see it: check the channel id (right-click the channel › Copy link; the id starts with C or G) in the variable that names it, and for a private channel invite the bot with /invite @embedops`,
  not_in_channel: (channel) => `the bot is not a member of ${channel ?? "the channel"}: invite it there with /invite @embedops`,
  is_archived: (channel) => `the channel ${channel ?? ""} is archived: unarchive it or point the variable at another channel`,
  channel_is_archived: (channel) => `the channel ${channel ?? ""} is archived: unarchive it or point the variable at another channel`,
  restricted_action: () => "the workspace does not let the bot post there: ask a Slack admin to allow it",
  missing_scope: () => "the app lacks a scope it needs: reinstall it from manifest.yml (Settings › Install App) so it gets every scope",
  not_authed: () => "no bot token was sent: set SLACK_BOT_TOKEN",
  invalid_auth: () => "SLACK_BOT_TOKEN is not valid: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
  token_revoked: () => "the bot token was revoked: reinstall the app and set the new SLACK_BOT_TOKEN",
  account_inactive: () => "the bot token belongs to a deactivated app or user: reinstall the app and set the new SLACK_BOT_TOKEN",
  msg_too_long: () => "a message was longer than Slack accepts; please report this as a bug",
  invalid_blocks: () => "Slack refused a message's blocks; please report this as a bug",
};

/** Reads a Web API client error (or anything thrown) as a SlackFailure. */
function describeSlackError(error: unknown, channel?: string): SlackFailure {
  const e = error as { code?: string; data?: { error?: string }; statusCode?: number } | undefined;
  if (e?.code === "slack_webapi_platform_error" && e.data?.error) {
    const code = e.data.error;
    const hint = HINTS[code]?.(channel);
    return { code, permanent: hint !== undefined, ...(hint ? { hint } : {}) };
  }
  if (e?.code === "slack_webapi_rate_limited_error") return { code: "rate_limited", permanent: false };
  if (e?.code === "slack_webapi_http_error") return { code: `http_${e.statusCode ?? "error"}`, permanent: false };
  if (e?.code === "slack_webapi_request_error") return { code: "network", permanent: false };
  return { code: "unknown", permanent: false };
}

/** Permanent failures already logged: `code|channel` → when, so a broken channel is not logged every minute. */
const logged = new Map<string, number>();
const LOG_AGAIN_AFTER_MS = 60 * 60_000;

/**
 * Counts a failed Slack call and logs it: a permanent one once an hour per channel and code, with its hint.
 * Returns the failure so callers can show the hint.
 */
export function reportSlackError(error: unknown, where: { method: string; channel?: string }): SlackFailure {
  const failure = describeSlackError(error, where.channel);
  slackApiErrorsTotal.inc({ method: where.method, kind: failure.code });
  if (!failure.permanent) {
    log.warn({ method: where.method, channel: where.channel, slackError: failure.code, err: error }, "Slack call failed");
    return failure;
  }
  const key = `${failure.code}|${where.channel ?? ""}`;
  const last = logged.get(key);
  if (last === undefined || Date.now() - last > LOG_AGAIN_AFTER_MS) {
    logged.set(key, Date.now());
    log.error({ method: where.method, channel: where.channel, slackError: failure.code, hint: failure.hint }, `Slack refused ${where.method}: ${failure.code}; ${failure.hint}`);
  }
  return failure;
}

/** An EmbedopsError carrying a Slack failure and its hint, safe to show in `embedops job …` and in Slack. */
export function slackFailureError(failure: SlackFailure, where: { method: string; channel?: string }): EmbedopsError {
  const message = failure.hint
    ? `Slack refused ${where.method}${where.channel ? ` to ${where.channel}` : ""}: ${failure.code}. What to do: ${failure.hint}.`
    : `Slack did not accept ${where.method}${where.channel ? ` to ${where.channel}` : ""} (${failure.code}); it will be tried again at the next run.`;
  return new EmbedopsError(ErrorCode.Upstream, message, { slackError: failure.code, permanent: failure.permanent, ...(failure.hint ? { hint: failure.hint } : {}) });
}

/** The Slack failure an error made by slackFailureError carries (already counted and logged where it was made). */
export function carriedSlackFailure(error: unknown): SlackFailure | undefined {
  if (!(error instanceof EmbedopsError) || typeof error.details?.slackError !== "string") return undefined;
  const hint = typeof error.details.hint === "string" ? error.details.hint : undefined;
  return { code: error.details.slackError, permanent: error.details.permanent === true, ...(hint ? { hint } : {}) };
}
