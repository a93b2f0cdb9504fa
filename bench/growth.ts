import { startMeasured } from "./child.ts";
import { botCommandKinds, botEnv, runSeries, sampleIntegrationIds } from "./drive.ts";
import { summariseProfiles } from "./profile.ts";
import type { Figure } from "./report.ts";
import type { ScaleDatabase } from "./scale-db.ts";
import type { BenchContext, Section } from "./section.ts";
import type { LatencySummary } from "./stats.ts";

/** The target: at the largest size, at most twice the time at the smallest. */
const GROWTH_TARGET = 2;

function sizeLabel(n: number): string {
  return n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** 4. Growth: `list` (three mixes) and `show` at each integration count, each on its own scale database. */
export const growthSection: Section = {
  key: "growth",
  title: "4. Growth: list and show as integrations grow",
  async run(ctx: BenchContext): Promise<Figure[]> {
    const sizes = [...ctx.options.growth].sort((a, b) => a - b);
    const medians = new Map<number, Record<string, LatencySummary>>();
    const figures: Figure[] = [];
    // Databases first (built or reused), then every bot at once: start-up is the slow part of a small run.
    const scales: ScaleDatabase[] = [];
    for (const size of sizes) scales.push(await ctx.scale({ integrations: size, runsPerIntegration: ctx.options.growthRuns }));
    ctx.progress(`growth: starting ${sizes.length} bots`);
    const bots = await Promise.all(
      sizes.map((size, i) =>
        startMeasured(`bot-growth-${sizeLabel(size)}`, "bot-process.ts", botEnv(`sqlite:${scales[i]!.path}`, ctx.standIn), { cpuProfDir: ctx.profileDir(`growth-${sizeLabel(size)}`) }),
      ),
    );
    try {
      for (const [i, size] of sizes.entries()) {
        const scale = scales[i]!;
        const showIds = await sampleIntegrationIds(scale, 500);
        ctx.progress(`growth: ${sizeLabel(size)} integrations (${scale.meta.runs.toLocaleString("en")} runs)`);
        const result = await runSeries(botCommandKinds(showIds).map((kind) => ({ process: bots[i]!, kind })), ctx.standIn, ctx.options.requests, ctx.options.warmup, { budgetSeconds: ctx.options.kindBudgetSeconds, minCount: ctx.options.quick ? 10 : 20 });
        medians.set(size, result.answer);
        for (const [label, summary] of Object.entries(result.answer)) {
          figures.push({ section: "4 growth", name: `${sizeLabel(size)}: ${label}: median`, value: summary.median, unit: "ms", note: `p99 ${summary.p99.toFixed(1)} ms, n=${summary.count}` });
        }
      }
    } finally {
      await Promise.all(bots.map((bot) => bot.stop()));
    }
    for (const size of sizes) {
      const profiles = ctx.profileDir(`growth-${sizeLabel(size)}`);
      if (profiles) ctx.notes.push(...summariseProfiles(profiles, `4. Growth at ${sizeLabel(size)}`));
    }
    const smallest = sizes[0]!;
    const largest = sizes[sizes.length - 1]!;
    if (sizes.length > 1) {
      for (const label of Object.keys(medians.get(largest)!)) {
        const ratio = medians.get(largest)![label]!.median / medians.get(smallest)![label]!.median;
        figures.push({
          section: "4 growth",
          name: `${label}: ${sizeLabel(largest)} ÷ ${sizeLabel(smallest)} (median)`,
          value: ratio,
          unit: "×",
          target: `≤ ${GROWTH_TARGET}×`,
          met: ratio <= GROWTH_TARGET,
        });
      }
    }
    return figures;
  },
};
