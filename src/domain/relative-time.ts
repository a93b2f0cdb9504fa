import { TZDate } from "@date-fns/tz";
import { differenceInCalendarDays, differenceInDays, differenceInHours, differenceInMinutes } from "date-fns";

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * How long from `from` to `to`, in whole units, counted down (never rounded up): `59 minutes`, `23 hours`,
 * `1 day`. Days are full days on the clock of `timeZone`, so a day across a DST change is still one day.
 */
export function elapsed(from: Date, to: Date, timeZone = "UTC"): string {
  const later = new Date(Math.max(to.getTime(), from.getTime()));
  // UTC has no daylight saving: its days are 24 hours each, and the hours need no zone. A zoned date costs a
  // lookup of the zone's offset at every step, and this wording is asked for every integration a batch touches.
  if (timeZone === "UTC") return wholeUnits(from, later, Math.trunc(differenceInHours(later, from) / 24));
  const start = new TZDate(from.getTime(), timeZone);
  const end = new TZDate(later.getTime(), timeZone);
  return wholeUnits(start, end, differenceInDays(end, start));
}

/** `days` days when there is at least one, else the whole hours, else the whole minutes from `start` to `end`. */
function wholeUnits(start: Date, end: Date, days: number): string {
  if (days >= 1) return plural(days, "day");
  const hours = differenceInHours(end, start);
  if (hours >= 1) return plural(hours, "hour");
  return plural(differenceInMinutes(end, start), "minute");
}

/** When something happened, relative to `now`, in words (the one wording every answer uses): `just now`, `23 hours ago`, `1 day ago`. */
export function timeAgo(date: Date, now: Date, timeZone = "UTC"): string {
  if (now.getTime() - date.getTime() < 60_000) return "just now";
  return `${elapsed(date, now, timeZone)} ago`;
}

/** Calendar days from `from` to `now` on the clock of `timeZone` (never negative): yesterday at 23:59 is one day. */
export function calendarDaysBetween(from: Date, now: Date, timeZone = "UTC"): number {
  return Math.max(0, differenceInCalendarDays(new TZDate(now.getTime(), timeZone), new TZDate(from.getTime(), timeZone)));
}

/** Full days from `from` to `now` on the clock of `timeZone` (never negative). */
export function fullDaysBetween(from: Date, now: Date, timeZone = "UTC"): number {
  return Math.max(0, differenceInDays(new TZDate(now.getTime(), timeZone), new TZDate(from.getTime(), timeZone)));
}
