import { signJwt } from "../src/domain/jwt.ts";
import { startMeasured } from "./child.ts";
import { botCommandKinds, botEnv, RUNS_SECRET, sampleIntegrationIds, sendSlash, type Timing } from "./drive.ts";
import type { Figure } from "./report.ts";
import { workingCopy } from "./scale-db.ts";
import type { BenchContext, Section } from "./section.ts";
import { elapsedMs, summarise } from "./stats.ts";

/** How long the load test waits for one answer before counting it as lost. */
const ANSWER_TIMEOUT_MS = 60_000;

/** Waves stop being sent after this long (at least two are sent), so a slow command cannot stretch the run. */
const LOAD_BUDGET_MS = 120_000;

/** The target for acknowledgements under load: far below Slack's 3 seconds. */
const ACK_P99_TARGET_MS = 1000;

/** A batch of finished run events for existing integrations, newer than anything stored. */
function runEvents(batch: number, size: number, ids: string[], base: number): string {
  const events = [];
  for (let k = 0; k < size; k++) {
    const started = base + batch * 1000 + k;
    const failed = k % 20 === 0;
    events.push({
      run_id: `run_load_${batch}_${k}`,
      integration_id: ids[(batch * size + k) % ids.length],
      status: failed ? "error" : "success",
      started_at: new Date(started).toISOString(),
      finished_at: new Date(started + 30_000).toISOString(),
      trigger: "scheduler",
      ...(failed ? { error: "500 from the CRM API" } : {}),
    });
  }
  return JSON.stringify(events);
}

/**
 * 6. Load: waves of concurrent slash commands while run events stream in through POST /api/runs (batches, one
 * after another), on a private copy of the scale database. Every acknowledgement (the HTTP 200 of /slack/events)
 * and every answer is timed.
 */
export const loadSection: Section = {
  key: "load",
  title: "6. Load: concurrent slash commands during ingestion",
  async run(ctx: BenchContext): Promise<Figure[]> {
    const scale = await ctx.mainScale();
    const { concurrency, waves, batchSize } = ctx.options;
    const copy = workingCopy(scale, "load");
    const ids = await sampleIntegrationIds(scale, 5000, 99);
    const kinds = botCommandKinds(ids);
    ctx.progress(`load: ${waves} waves of ${concurrency} concurrent commands during ingestion`);
    const bot = await startMeasured("bot-load", "bot-process.ts", botEnv(copy.url, ctx.standIn), { cpuProfDir: ctx.profileDir("load") }).catch((error: unknown) => {
      copy.remove();
      throw error;
    });
    const token = await signJwt(RUNS_SECRET, {}, { now: new Date(), expiresInSeconds: 3600 });
    let ingesting = true;
    let events = 0;
    const batchMs: number[] = [];
    const base = Date.now();
    let firstBatch: () => void = () => undefined;
    const firstBatchDone = new Promise<void>((resolve) => (firstBatch = resolve));
    const ingestStart = process.hrtime.bigint();
    const ingestion = (async () => {
      for (let batch = 0; ingesting; batch++) {
        const body = runEvents(batch, batchSize, ids, base);
        const start = process.hrtime.bigint();
        const response = await fetch(`${bot.baseUrl}/api/runs`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body });
        const text = await response.text();
        if (response.status !== 202) throw new Error(`POST /api/runs answered ${response.status}: ${text.slice(0, 300)}`);
        batchMs.push(elapsedMs(start));
        events += batchSize;
        firstBatch();
      }
    })();
    const timings: Timing[] = [];
    let ingestSeconds = 0;
    try {
      await Promise.race([firstBatchDone, ingestion]);
      await bot.profileStart();
      const loadStart = Date.now();
      for (let wave = 0; wave < waves; wave++) {
        if (wave >= 2 && Date.now() - loadStart > LOAD_BUDGET_MS) break;
        const sent = Array.from({ length: concurrency }, (_, n) =>
          // A late answer is a finding, counted; a refused request or a wrong answer fails the section.
          sendSlash(bot, ctx.standIn, kinds[n % kinds.length]!, wave * concurrency + n, { answerTimeoutMs: ANSWER_TIMEOUT_MS, allowLateAnswer: true }).then((timing) => timings.push(timing)),
        );
        await Promise.all(sent);
      }
      await bot.profileStop();
    } finally {
      ingesting = false;
      try {
        await ingestion;
      } finally {
        ingestSeconds = elapsedMs(ingestStart) / 1000;
        await bot.stop();
        copy.remove();
      }
    }
    const ack = summarise(timings.map((timing) => timing.ackMs));
    const answered = timings.filter((timing) => Number.isFinite(timing.answerMs));
    const unanswered = timings.length - answered.length;
    const answer = summarise(answered.map((timing) => timing.answerMs));
    const batches = summarise(batchMs);
    return [
      { section: "6 load", name: `ack of ${timings.length} commands (${concurrency} at once): median`, value: ack.median, unit: "ms", note: `${timings.length / concurrency} waves` },
      { section: "6 load", name: "ack: p99", value: ack.p99, unit: "ms", target: `≤ ${ACK_P99_TARGET_MS} ms (Slack: 3 s)`, met: ack.p99 <= ACK_P99_TARGET_MS, note: `max ${ack.max.toFixed(0)} ms` },
      { section: "6 load", name: "answer on response_url: median", value: answer.median, unit: "ms" },
      { section: "6 load", name: "answer on response_url: p99", value: answer.p99, unit: "ms", note: `max ${answer.max.toFixed(0)} ms` },
      { section: "6 load", name: `answers not there within ${ANSWER_TIMEOUT_MS / 1000} s`, value: unanswered, unit: "", target: "0", met: unanswered === 0 },
      { section: "6 load", name: "ingestion during the load", value: events / ingestSeconds, unit: "events/s", note: `${batchMs.length} batches of ${batchSize}, batch p99 ${batches.p99.toFixed(0)} ms` },
    ];
  },
};
