import { describe, expect, it } from "vitest";
import { calendarDaysBetween, elapsed, timeAgo } from "../../src/domain/relative-time.ts";
import { findingReason } from "../../src/domain/housekeeping.ts";
import { ago } from "../../src/slack/presenters/format.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => new Date(iso);
const before = (now: Date, ms: number) => new Date(now.getTime() - ms);

describe("relative time, one wording everywhere", () => {
  const now = at("2026-11-20T12:00:00Z");

  it("counts down at the boundaries: 59 minutes, 23 h 59 min, exactly one day", () => {
    expect(timeAgo(before(now, 30_000), now)).toBe("just now");
    expect(timeAgo(before(now, MIN), now)).toBe("1 minute ago");
    expect(timeAgo(before(now, 59 * MIN + 59_000), now)).toBe("59 minutes ago");
    expect(timeAgo(before(now, HOUR), now)).toBe("1 hour ago");
    expect(timeAgo(before(now, 23 * HOUR + 59 * MIN), now)).toBe("23 hours ago");
    expect(timeAgo(before(now, 24 * HOUR), now)).toBe("1 day ago");
    expect(timeAgo(before(now, 48 * HOUR - MIN), now)).toBe("1 day ago");
    expect(timeAgo(before(now, 48 * HOUR), now)).toBe("2 days ago");
    expect(timeAgo(new Date(now.getTime() + HOUR), now)).toBe("just now");
  });

  it("says the same in the report and in show: 23.6 hours is 23 hours, not today and not 24 hours", () => {
    const success = before(now, 23.6 * HOUR);
    expect(ago(success, now)).toBe("23 hours ago");
    const reason = findingReason(
      {
        integrationId: "int_1", failingStreak: true, failingRate: null, stale: false, failuresInRow: 3, latestRunError: "401",
        lastSuccessAt: success, latestRunAt: now, activatedAt: before(now, 90 * 24 * HOUR), stored: null,
      } as unknown as Parameters<typeof findingReason>[0],
      now,
    );
    expect(reason).toBe("last 3 runs failed; last success 23 hours ago: 401");
  });

  it("words UTC (counted without a zoned date) exactly as the zoned count of the same clock does", () => {
    // "Etc/UTC" is the same clock under another name: it takes the zoned path.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const from = new Date(Date.UTC(2020, 0, 1) + Math.floor(next() * 8 * 365 * 24 * HOUR));
      const to = new Date(from.getTime() + Math.floor(next() ** 3 * 400 * 24 * HOUR) - (i % 10 === 0 ? HOUR : 0));
      expect(elapsed(from, to, "UTC")).toBe(elapsed(from, to, "Etc/UTC"));
    }
  });

  it("counts days across month ends by the calendar", () => {
    expect(timeAgo(at("2026-01-31T10:00:00Z"), at("2026-03-01T10:00:00Z"))).toBe("29 days ago");
    expect(timeAgo(at("2024-01-31T10:00:00Z"), at("2024-03-01T10:00:00Z"))).toBe("30 days ago");
    expect(timeAgo(at("2026-04-30T23:30:00Z"), at("2026-05-01T00:10:00Z"))).toBe("40 minutes ago");
    expect(calendarDaysBetween(at("2026-04-30T23:30:00Z"), at("2026-05-01T00:10:00Z"))).toBe(1);
    expect(elapsed(at("2026-12-31T12:00:00Z"), at("2027-01-31T12:00:00Z"))).toBe("31 days");
  });

  it("counts a day across the DST changes of Europe/Berlin as one day on its clock", () => {
    // Spring forward, 29 March 2026 02:00 → 03:00: noon to noon is 23 hours of real time.
    const springFrom = at("2026-03-28T11:00:00Z");
    const springTo = at("2026-03-29T10:00:00Z");
    expect(timeAgo(springFrom, springTo, "Europe/Berlin")).toBe("1 day ago");
    expect(timeAgo(springFrom, springTo, "UTC")).toBe("23 hours ago");
    // Fall back, 25 October 2026 03:00 → 02:00: noon to noon is 25 hours; one hour earlier is not yet a day.
    const fallFrom = at("2026-10-24T10:00:00Z");
    expect(timeAgo(fallFrom, at("2026-10-25T11:00:00Z"), "Europe/Berlin")).toBe("1 day ago");
    expect(timeAgo(fallFrom, at("2026-10-25T10:30:00Z"), "Europe/Berlin")).toBe("24 hours ago");
    expect(calendarDaysBetween(at("2026-10-24T21:30:00Z"), at("2026-10-24T22:30:00Z"), "Europe/Berlin")).toBe(1);
    expect(calendarDaysBetween(at("2026-10-24T21:30:00Z"), at("2026-10-24T22:30:00Z"), "UTC")).toBe(0);
  });
});
