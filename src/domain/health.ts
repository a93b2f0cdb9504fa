import { elapsed } from "./relative-time.ts";

// The health rules: one pure function decides whether an integration is failing, stale, overdue, healthy or never
// ran, from the facts kept about it, and when that verdict can next change with time alone.

/** A failing integration needs at least this many runs in the rate window for the error-rate rule. */
export const RATE_MIN_RUNS = 20;
/** The window of the error-rate rule. */
export const RATE_WINDOW_DAYS = 7;
/** Overdue needs at least this many runs. */
const OVERDUE_MIN_RUNS = 5;
/** The gaps between this many latest runs give the usual interval of an integration. */
export const GAP_RUNS = 10;
/** An integration is overdue only after more than this long without a run, whatever its usual interval. */
const OVERDUE_MIN_MS = 3_600_000;

const DAY_MS = 86_400_000;

/** What the kept verdict says of an integration. */
export type HealthVerdict = "healthy" | "failing" | "stale" | "overdue" | "never_ran";

/** The thresholds of the health rules (STALE_AFTER_DAYS, FAILING_AFTER_ERRORS, FAILING_ERROR_RATE, OVERDUE_FACTOR). */
export interface HealthThresholds {
  staleAfterDays: number;
  failingAfterErrors: number;
  /** Share of failed runs (of at least RATE_MIN_RUNS in RATE_WINDOW_DAYS) that makes an integration failing. */
  failingErrorRate: number;
  overdueFactor: number;
}

/** The thresholds a fresh database's verdicts are computed with: the configuration's defaults. */
export const DEFAULT_THRESHOLDS: HealthThresholds = { staleAfterDays: 30, failingAfterErrors: 3, failingErrorRate: 0.95, overdueFactor: 3 };

/** The thresholds as one text, to tell whether kept verdicts were computed with the ones configured now. */
export function thresholdsKey(rules: HealthThresholds): string {
  return JSON.stringify([rules.staleAfterDays, rules.failingAfterErrors, rules.failingErrorRate, rules.overdueFactor]);
}

/** The facts about one integration the verdict is computed from. */
export interface HealthFacts {
  failuresInRow: number;
  /** When the current failure streak began. */
  failingSince: Date | null;
  /** Runs started in the rate window, of them failed, and the start of the oldest of them. */
  runs7d: number;
  errors7d: number;
  oldestRun7dAt: Date | null;
  latestRunAt: Date | null;
  activatedAt: Date;
  /** The median gap between its last GAP_RUNS runs, and how many runs that is (at most GAP_RUNS). */
  medianGapMs: number | null;
  gapRuns: number;
  /** Its Embed Flow runs on the `scheduler` trigger. */
  scheduled: boolean;
}

/** A verdict, why, since when it holds when the facts tell, and when it can next change with time alone. */
interface HealthOutcome {
  verdict: HealthVerdict;
  reason: string | null;
  /** The moment the verdict began, when the facts tell it (a threshold crossed, a streak begun); null: now. */
  since: Date | null;
  dueAt: Date | null;
}

/** The error rate in basis points, so comparisons are in whole numbers (0.95 × 20 is not 19 in floating point). */
export function rateBasisPoints(rate: number): number {
  return Math.round(rate * 10_000);
}

/** The error-rate rule: at least RATE_MIN_RUNS runs in the window, of which the share failed. */
export function rateRuleMatches(runs: number, errors: number, rate: number): boolean {
  return runs >= RATE_MIN_RUNS && errors * 10_000 >= rateBasisPoints(rate) * runs;
}

/** Fewer failed runs than this in the window can never match the rate rule, however many runs leave it. */
function rateMinErrors(rate: number): number {
  return Math.ceil((rateBasisPoints(rate) * RATE_MIN_RUNS) / 10_000);
}

/** The instant runs started before no longer count for the rate rule. */
export function rateSince(now: Date): Date {
  return new Date(now.getTime() - RATE_WINDOW_DAYS * DAY_MS);
}

/** The median gap between consecutive run starts (any order), null with fewer than two. */
export function medianGap(starts: readonly Date[]): number | null {
  if (starts.length < 2) return null;
  const times = starts.map((start) => start.getTime()).sort((a, b) => a - b);
  const gaps = times.slice(1).map((time, i) => time - times[i]!).sort((a, b) => a - b);
  const middle = Math.floor(gaps.length / 2);
  return gaps.length % 2 ? gaps[middle]! : Math.round((gaps[middle - 1]! + gaps[middle]!) / 2);
}

/** How long an interval is, in short words: `2 h`, `15 min`, `3 days`. */
export function intervalWords(ms: number): string {
  if (ms >= DAY_MS) return `${Math.floor(ms / DAY_MS)} day${ms >= 2 * DAY_MS ? "s" : ""}`;
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)} h`;
  return `${Math.max(1, Math.floor(ms / 60_000))} min`;
}

/** How long without a run makes this integration overdue (strictly more than this), or null when it cannot be. */
function overdueAfterMs(facts: Pick<HealthFacts, "scheduled" | "latestRunAt" | "gapRuns" | "medianGapMs">, rules: Pick<HealthThresholds, "overdueFactor">): number | null {
  if (!facts.scheduled || !facts.latestRunAt || facts.gapRuns < OVERDUE_MIN_RUNS || facts.medianGapMs === null) return null;
  return Math.max(rules.overdueFactor * facts.medianGapMs, OVERDUE_MIN_MS);
}

/**
 * The verdict of the health rules at `now`: failing (the last FAILING_AFTER_ERRORS runs failed, or the rate rule)
 * wins over stale (no run, or never ran and activated, STALE_AFTER_DAYS ago), which wins over overdue (a scheduled
 * integration with at least 5 runs and no run for more than OVERDUE_FACTOR × its median gap and more than an
 * hour); then never ran, else healthy. `dueAt` is the first instant at which the same facts give another verdict:
 * a stale or overdue threshold crossed, or the oldest run of the rate window leaving it.
 */
export function healthVerdict(facts: HealthFacts, now: Date, rules: HealthThresholds): HealthOutcome {
  const t = now.getTime();
  const streak = facts.failuresInRow >= rules.failingAfterErrors;
  const rate = rateRuleMatches(facts.runs7d, facts.errors7d, rules.failingErrorRate);
  // The counts of the window change with time only as its oldest run leaves it (the first instant after 7 days).
  const rateDue =
    facts.oldestRun7dAt && facts.runs7d >= RATE_MIN_RUNS && facts.errors7d >= rateMinErrors(rules.failingErrorRate)
      ? facts.oldestRun7dAt.getTime() + RATE_WINDOW_DAYS * DAY_MS + 1
      : null;
  const lastAt = (facts.latestRunAt ?? facts.activatedAt).getTime();
  const staleAt = lastAt + rules.staleAfterDays * DAY_MS;
  const stale = t >= staleAt;
  const overdueAfter = overdueAfterMs(facts, rules);
  const overdueAt = overdueAfter === null ? null : lastAt + Math.floor(overdueAfter) + 1;
  const overdue = overdueAt !== null && t >= overdueAt;
  const due = (...candidates: Array<number | null>) => {
    const future = candidates.filter((candidate): candidate is number => candidate !== null && candidate > t);
    return future.length ? new Date(Math.min(...future)) : null;
  };
  if (streak) {
    return { verdict: "failing", reason: `last ${facts.failuresInRow} runs failed`, since: facts.failingSince, dueAt: null };
  }
  if (rate) {
    const percent = Math.floor((facts.errors7d / facts.runs7d) * 100);
    return { verdict: "failing", reason: `${percent} % of ${facts.runs7d} runs in ${RATE_WINDOW_DAYS} days failed`, since: null, dueAt: due(rateDue) };
  }
  if (stale) {
    const reason = facts.latestRunAt ? `no run for ${elapsed(facts.latestRunAt, now)}` : `never ran; activated ${elapsed(facts.activatedAt, now)} ago`;
    return { verdict: "stale", reason, since: new Date(staleAt), dueAt: due(rateDue) };
  }
  if (overdue) {
    const reason = `no run for ${elapsed(facts.latestRunAt!, now)}, usually every ${intervalWords(facts.medianGapMs!)}`;
    return { verdict: "overdue", reason, since: new Date(overdueAt), dueAt: due(rateDue, staleAt) };
  }
  const dueAt = due(rateDue, staleAt, overdueAt);
  if (!facts.latestRunAt) return { verdict: "never_ran", reason: "never ran", since: facts.activatedAt, dueAt };
  return { verdict: "healthy", reason: null, since: null, dueAt };
}
