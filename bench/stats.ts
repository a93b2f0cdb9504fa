/** Latency figures of one series of requests, in milliseconds. */
export interface LatencySummary {
  count: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) of sorted values, by the nearest-rank method, so p99 of 200 is the 198th value. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Median, p99, max and mean of durations in milliseconds. */
export function summarise(durations: number[]): LatencySummary {
  const sorted = [...durations].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Milliseconds since an hrtime mark, with sub-millisecond precision. */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** A deterministic pseudo-random sequence, so two runs ask for the same integrations: the demo seed's. */
export { seededRandom } from "../src/data/seed.ts";
