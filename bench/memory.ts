import { startMeasured } from "./child.ts";
import { botCommandKinds, botEnv, runSeries, sampleIntegrationIds } from "./drive.ts";
import type { Figure } from "./report.ts";
import type { BenchContext, Section } from "./section.ts";

/** The target: resident memory of the bot at 100k integrations. */
const RSS_TARGET_MB = 250;

const MB = 1024 * 1024;

/** 5. Memory: the bot's resident set after warm-up and after a series of list/show requests, in its own process. */
export const memorySection: Section = {
  key: "memory",
  title: "5. Memory of the bot",
  async run(ctx: BenchContext): Promise<Figure[]> {
    const scale = await ctx.mainScale();
    const showIds = await sampleIntegrationIds(scale, 500, 7);
    const kinds = botCommandKinds(showIds);
    ctx.progress(`memory: the bot on ${scale.meta.integrations.toLocaleString("en")} integrations`);
    const bot = await startMeasured("bot-memory", "bot-process.ts", botEnv(`sqlite:${scale.path}`, ctx.standIn));
    try {
      const started = await bot.memory();
      // Warm-up: a few of each kind, so code paths are compiled and caches filled.
      await runSeries(kinds.map((kind) => ({ process: bot, kind })), ctx.standIn, 0, 5);
      const warm = await bot.memory();
      const rounds = Math.ceil(ctx.options.memoryRequests / kinds.length);
      const series = await runSeries(kinds.map((kind) => ({ process: bot, kind })), ctx.standIn, rounds, 0, { budgetSeconds: ctx.options.kindBudgetSeconds, minCount: 20 });
      const sent = Object.values(series.answer).reduce((total, summary) => total + summary.count, 0);
      const after = await bot.memory();
      const at = `${scale.meta.integrations.toLocaleString("en")} integrations`;
      return [
        { section: "5 memory", name: "rss at start-up", value: started.rss / MB, unit: "MB", note: at },
        { section: "5 memory", name: "rss after warm-up", value: warm.rss / MB, unit: "MB", target: `≤ ${RSS_TARGET_MB} MB`, met: warm.rss / MB <= RSS_TARGET_MB, note: `heap ${(warm.heapUsed / MB).toFixed(0)} MB` },
        {
          section: "5 memory",
          name: `rss after ${sent} list/show requests`,
          value: after.rss / MB,
          unit: "MB",
          target: `≤ ${RSS_TARGET_MB} MB`,
          met: after.rss / MB <= RSS_TARGET_MB,
          note: `heap ${(after.heapUsed / MB).toFixed(0)} MB`,
        },
      ];
    } finally {
      await bot.stop();
    }
  },
};
