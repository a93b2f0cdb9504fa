import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";
import { timeAgo } from "../../domain/relative-time.ts";
import type { RunStatus, SharingLevel } from "../../reply/views.ts";
import { actorLabel, type Actor } from "../../domain/permissions.ts";
import { escapeMarkup } from "../../reply/document.ts";

/** A date and time in the configured time zone: `2026-11-21 09:00 UTC`. */
export function formatTime(date: Date | null | undefined, timeZone: string): string {
  if (!date) return "—";
  return `${format(new TZDate(date, timeZone), "yyyy-MM-dd HH:mm")} ${timeZone === "UTC" ? "UTC" : format(new TZDate(date, timeZone), "zzz")}`;
}

/** How long ago, in words: `3 days ago` (the wording of timeAgo, used by every answer). */
export function ago(date: Date | null | undefined, now: Date, timeZone = "UTC"): string {
  if (!date) return "never";
  return timeAgo(date, now, timeZone);
}

/** The Latest run column: the status, or N/A when it never ran. */
export function latestRunLabel(status: RunStatus | null): string {
  return status ?? "N/A";
}

/** An emoji for a run status, for Slack only. */
export function runEmoji(status: RunStatus | null): string {
  switch (status) {
    case "success":
      return ":large_green_circle:";
    case "error":
      return ":red_circle:";
    case "running":
      return ":large_blue_circle:";
    case "retrying":
      return ":large_orange_circle:";
    default:
      return ":white_circle:";
  }
}

/** The Sharing level column: `User` or `Account`. */
export function sharingLabel(level: SharingLevel): string {
  return level === "account" ? "Account" : "User";
}

/** A link in Slack markup, or just the label when there is no URL. */
export function link(label: string, url: string | null | undefined): string {
  const safe = escapeMarkup(label);
  return url && /^https?:\/\//.test(url) ? `<${url}|${safe}>` : safe;
}

/** Shortens text to `max` characters for a table cell. */
export function truncate(text: string, max: number): string {
  const single = text.replace(/\s+/g, " ").trim();
  return single.length <= max ? single : `${single.slice(0, max - 1)}…`;
}

/** An amount of money: `12.40 EUR`. */
export function money(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

/** How the channel message names who asked: a Slack mention where there is one, else the email. */
export function requesterMarkup(actor: Actor): string {
  if (actor.kind === "job" || actor.kind === "end_user") return actorLabel(actor);
  if (actor.slackUserId) return `<@${actor.slackUserId}>`;
  return actor.kind === "operator" ? actor.email : "someone";
}
