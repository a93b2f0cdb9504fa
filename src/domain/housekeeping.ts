import type { Config } from "../config.ts";
import { intervalWords, RATE_WINDOW_DAYS, rateSince, type HealthThresholds } from "./health.ts";
import { elapsed, fullDaysBetween, timeAgo } from "./relative-time.ts";

/** The window whose runs the report counts and prices ("runs a month"). */
export const COST_WINDOW_DAYS = 30;
/** How long `Snooze` keeps a finding out of the report. */
export const SNOOZE_DAYS = 7;

const DAY_MS = 86_400_000;

/** The thresholds of the housekeeping rules, from the configuration. */
export interface HousekeepingRules extends HealthThresholds {
  pricePerRun: number;
  currency: string;
  /** Off when undefined. */
  autoDisableAfterDays?: number;
}

/** The rules as configured (the health thresholds, PRICE_PER_RUN, CURRENCY, AUTO_DISABLE_AFTER_DAYS). */
export function housekeepingRules(config: Config): HousekeepingRules {
  return {
    staleAfterDays: config.staleAfterDays,
    failingAfterErrors: config.failingAfterErrors,
    failingErrorRate: config.failingErrorRate,
    overdueFactor: config.overdueFactor,
    pricePerRun: config.pricePerRun,
    currency: config.currency,
    autoDisableAfterDays: config.autoDisableAfterDays,
  };
}

/** The instants the rules compare against, for one evaluation at `now`. */
interface HousekeepingCutoffs {
  /** A latest run (or, never run, an activation) at or before this is stale: exactly N days counts. */
  staleBefore: Date;
  /** Runs started at or after this count for the error-rate rule. */
  rateSince: Date;
  /** Runs started at or after this are counted and priced. */
  costSince: Date;
}

/** The cut-off instants of the rules at `now`. */
export function housekeepingCutoffs(now: Date, rules: Pick<HousekeepingRules, "staleAfterDays">): HousekeepingCutoffs {
  return {
    staleBefore: new Date(now.getTime() - rules.staleAfterDays * DAY_MS),
    rateSince: rateSince(now),
    costSince: new Date(now.getTime() - COST_WINDOW_DAYS * DAY_MS),
  };
}

/** Why the report names an integration. */
export type FindingKind = "failing" | "stale" | "overdue";

/** What the report remembers of an integration it named before. */
export interface StoredFinding {
  kind: FindingKind;
  firstReportedAt: Date;
  lastReportedAt: Date;
  snoozedUntil: Date | null;
  snoozedBy: string | null;
  resolvedAt: Date | null;
}

/** One enabled integration that matched a rule, with the facts the SQL scan computed. */
export interface IntegrationHealth {
  integrationId: string;
  groupId: string;
  failuresInRow: number;
  latestRunAt: Date | null;
  latestRunError: string | null;
  lastSuccessAt: Date | null;
  activatedAt: Date;
  /** The last FAILING_AFTER_ERRORS runs all failed. */
  failingStreak: boolean;
  /** The error-rate rule matched: its run and error counts in the window; null otherwise. */
  failingRate: { runs: number; errors: number } | null;
  stale: boolean;
  /** Overdue by the kept verdict: how long its runs usually are apart; null when it is not overdue. */
  overdueGapMs: number | null;
  /** Runs started in the last COST_WINDOW_DAYS. */
  runs30d: number;
  /** The remembered finding, if the integration was named before (resolved or not). */
  stored: StoredFinding | null;
}

/** Failing wins over stale, stale over overdue: a dead integration that also failed is named for its failures. */
export function findingKind(health: Pick<IntegrationHealth, "failingStreak" | "failingRate" | "stale" | "overdueGapMs">): FindingKind {
  if (health.failingStreak || health.failingRate) return "failing";
  return health.overdueGapMs !== null && !health.stale ? "overdue" : "stale";
}

/** Whole days from `from` to `now` (never negative), on the clock of `timeZone`. */
export function daysBetween(from: Date, now: Date, timeZone = "UTC"): number {
  return fullDaysBetween(from, now, timeZone);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** The latest error, shortened to one line for a reason. */
function errorText(error: string | null): string | null {
  if (!error) return null;
  const line = error.replace(/\s+/g, " ").trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/**
 * Why an integration is named, in words:
 * "last 5 runs failed; last success 12 days ago: 401 from HubSpot", "19 of 20 runs in the last 7 days failed (95%)",
 * "no run for 45 days", "never ran; activated 31 days ago".
 */
export function findingReason(health: IntegrationHealth, now: Date, timeZone = "UTC"): string {
  const parts: string[] = [];
  const error = errorText(health.latestRunError);
  if (health.failingStreak) {
    const success = health.lastSuccessAt ? `last success ${timeAgo(health.lastSuccessAt, now, timeZone)}` : "never succeeded";
    parts.push(`last ${health.failuresInRow} runs failed; ${success}${error ? `: ${error}` : ""}`);
  } else if (health.failingRate) {
    const { runs, errors } = health.failingRate;
    const percent = Math.floor((errors / runs) * 100);
    parts.push(`${errors} of ${runs} runs in the last ${RATE_WINDOW_DAYS} days failed (${percent}%)${error ? `; latest error: ${error}` : ""}`);
  }
  if (health.stale) {
    parts.push(
      health.latestRunAt
        ? `no run for ${elapsed(health.latestRunAt, now, timeZone)}`
        : `never ran; activated ${timeAgo(health.activatedAt, now, timeZone)}`,
    );
  } else if (health.overdueGapMs !== null && health.latestRunAt && !health.failingStreak && !health.failingRate) {
    parts.push(`no run for ${elapsed(health.latestRunAt, now, timeZone)}, usually every ${intervalWords(health.overdueGapMs)}`);
  }
  return parts.join("; ");
}

/** The estimated price of `runs` flow runs. */
export function runsCost(runs: number, pricePerRun: number): number {
  return Math.round(runs * pricePerRun * 100) / 100;
}

/** Where a finding stands in its life: first seen now, reported before, or snoozed. */
type FindingState = "new" | "reported" | "snoozed";

/** A finding with no remembered row, or whose remembered one was resolved, is new; a running snooze hides it. */
export function findingState(stored: StoredFinding | null, now: Date): FindingState {
  if (!stored || stored.resolvedAt) return "new";
  if (stored.snoozedUntil && stored.snoozedUntil.getTime() > now.getTime()) return "snoozed";
  return "reported";
}

/** When a snooze clicked at `now` ends. */
export function snoozeEnds(now: Date): Date {
  return new Date(now.getTime() + SNOOZE_DAYS * DAY_MS);
}

/**
 * True when AUTO_DISABLE_AFTER_DAYS says the bot disables this (still present) finding now: it was reported,
 * is not snoozed, and its grace has run out. The grace counts from the first report, or from the end of a
 * snooze if that is later: a snooze is a decision to wait, so the finding is shown again before it is disabled.
 */
export function autoDisableDue(stored: StoredFinding | null, now: Date, autoDisableAfterDays: number | undefined): boolean {
  if (autoDisableAfterDays === undefined || !stored || stored.resolvedAt) return false;
  if (findingState(stored, now) !== "reported") return false;
  const graceStart = Math.max(stored.firstReportedAt.getTime(), stored.snoozedUntil?.getTime() ?? 0);
  return now.getTime() - graceStart >= autoDisableAfterDays * DAY_MS;
}

/** The header's totals: how many failing, stale and overdue, their runs a month and what disabling them would save. */
export interface ReportTotals {
  failing: number;
  stale: number;
  overdue: number;
  newFindings: number;
  runs30d: number;
  cost: number;
}

/** Adds up findings for the header; an entry with a `count` stands for that many findings (its `runs30d` their sum). */
export function reportTotals(findings: ReadonlyArray<{ kind: FindingKind; runs30d: number; isNew: boolean; count?: number }>, pricePerRun: number): ReportTotals {
  let failing = 0;
  let stale = 0;
  let overdue = 0;
  let newFindings = 0;
  let runs30d = 0;
  for (const finding of findings) {
    const n = finding.count ?? 1;
    if (finding.kind === "failing") failing += n;
    else if (finding.kind === "overdue") overdue += n;
    else stale += n;
    if (finding.isNew) newFindings += n;
    runs30d += finding.runs30d;
  }
  return { failing, stale, overdue, newFindings, runs30d, cost: runsCost(runs30d, pricePerRun) };
}
