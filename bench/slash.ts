import { timeBreakdown } from "./breakdown.ts";
import { startMeasured } from "./child.ts";
import { bareEnv, botCommandKinds, botEnv, echoKind, runSeries, sampleIntegrationIds } from "./drive.ts";
import { summariseProfiles } from "./profile.ts";
import type { Figure } from "./report.ts";
import type { BenchContext, Section } from "./section.ts";

/** The target: a `list` answer within 1.5 times the bare Bolt echo. */
const LIST_VS_ECHO_TARGET = 1.5;

/** The target of the lists by health word (`list failing`): within 3 times the echo. */
const HEALTH_LIST_VS_ECHO_TARGET = 3;

/**
 * 1. Slash commands, signed request in → answer out on the response_url: `list` with three filter mixes and `show`
 * through the real bot, next to a bare Bolt echo app, both alive at once and asked in turn.
 */
export const slashSection: Section = {
  key: "slash",
  title: "1. Slash commands vs a bare Bolt echo",
  async run(ctx: BenchContext): Promise<Figure[]> {
    const scale = await ctx.mainScale();
    const profiles = ctx.profileDir("slash");
    const showIds = await sampleIntegrationIds(scale, 500);
    ctx.progress(`slash: starting the bot on ${scale.meta.integrations.toLocaleString("en")} integrations and a bare Bolt app`);
    const [bare, bot] = await Promise.all([
      startMeasured("bare-bolt", "bare-bolt.ts", bareEnv(ctx.standIn), { cpuProfDir: profiles }),
      startMeasured("bot-slash", "bot-process.ts", botEnv(`sqlite:${scale.path}`, ctx.standIn), { cpuProfDir: profiles }),
    ]);
    const kinds = botCommandKinds(showIds);
    let result;
    try {
      ctx.progress(`slash: ${ctx.options.requests} requests of each of ${kinds.length + 1} kinds`);
      result = await runSeries([{ process: bare, kind: echoKind() }, ...kinds.map((kind) => ({ process: bot, kind }))], ctx.standIn, ctx.options.requests, ctx.options.warmup, { budgetSeconds: ctx.options.kindBudgetSeconds, minCount: ctx.options.quick ? 10 : 20 });
    } finally {
      await bot.stop();
      await bare.stop();
    }
    const echo = result.answer["bare Bolt echo"]!;
    const figures: Figure[] = [
      { section: "1 slash", name: "bare Bolt echo: median", value: echo.median, unit: "ms" },
      { section: "1 slash", name: "bare Bolt echo: p99", value: echo.p99, unit: "ms", note: `n=${echo.count}` },
    ];
    for (const kind of kinds) {
      const answer = result.answer[kind.label]!;
      const isList = kind.label.startsWith("list");
      const target = kind.label.startsWith("list failing") ? HEALTH_LIST_VS_ECHO_TARGET : LIST_VS_ECHO_TARGET;
      const ratio = answer.median / echo.median;
      figures.push(
        { section: "1 slash", name: `${kind.label}: median`, value: answer.median, unit: "ms" },
        { section: "1 slash", name: `${kind.label}: p99`, value: answer.p99, unit: "ms", note: `n=${answer.count}` },
        {
          section: "1 slash",
          name: `${kind.label}: median ÷ echo median`,
          value: ratio,
          unit: "×",
          ...(isList ? { target: `≤ ${target}×`, met: ratio <= target } : {}),
          note: `p99 ÷ p99 ${(answer.p99 / echo.p99).toFixed(2)}×, ack median ${result.ack[kind.label]!.median.toFixed(2)} ms`,
        },
      );
    }
    ctx.progress("slash: time breakdown inside the bot");
    try {
      ctx.notes.push(...(await timeBreakdown(scale, kinds, ctx.options.quick ? 10 : 50, ctx.options.quick ? 3 : 15)));
    } catch (error) {
      ctx.notes.push(`Time breakdown failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (profiles) ctx.notes.push(...summariseProfiles(profiles, "1. Slash commands"));
    return figures;
  },
};
