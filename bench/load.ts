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
 * after another), on a private copy of the scale database, in two phases: the waves back to back (each sent as
 * soon as the last is answered: as many commands a second as the bot takes, the cores never idle), then paced, a
 * wave starting every second (a burst of commands, then the rest of the second). Then ingestion runs alone for ten
 * seconds on the same database, as the measure of what the waves take from it. Every acknowledgement (the HTTP
 * 200 of /slack/events) and every answer is timed, and the events recorded during each phase are counted.
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
    ctx.progress(`load: ${waves} waves of ${concurrency} concurrent commands back to back, then ${waves} paced a second apart, during ingestion`);
    const bot = await startMeasured("bot-load", "bot-process.ts", botEnv(copy.url, ctx.standIn), { cpuProfDir: ctx.profileDir("load") }).catch((error: unknown) => {
      copy.remove();
      throw error;
    });
    const token = await signJwt(RUNS_SECRET, {}, { now: new Date(), expiresInSeconds: 3600 });
    let ingesting = true;
    // Each batch: when it was sent and answered (ms since the epoch), and how long it took.
    const batches: Array<{ sent: number; answered: number; ms: number }> = [];
    const base = Date.now();
    let firstBatch: () => void = () => undefined;
    const firstBatchDone = new Promise<void>((resolve) => (firstBatch = resolve));
    const ingestion = (async () => {
      for (let batch = 0; ingesting; batch++) {
        const body = runEvents(batch, batchSize, ids, base);
        const sent = Date.now();
        const start = process.hrtime.bigint();
        const response = await fetch(`${bot.baseUrl}/api/runs`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body });
        const text = await response.text();
        if (response.status !== 202) throw new Error(`POST /api/runs answered ${response.status}: ${text.slice(0, 300)}`);
        batches.push({ sent, answered: Date.now(), ms: elapsedMs(start) });
        firstBatch();
      }
    })();
    const wave = async (n: number, timings: Timing[]) => {
      const sent = Array.from({ length: concurrency }, (_, k) =>
        // A late answer is a finding, counted; a refused request or a wrong answer fails the section.
        sendSlash(bot, ctx.standIn, kinds[k % kinds.length]!, n * concurrency + k, { answerTimeoutMs: ANSWER_TIMEOUT_MS, allowLateAnswer: true }).then((timing) => timings.push(timing)),
      );
      await Promise.all(sent);
    };
    const backToBack: Timing[] = [];
    const paced: Timing[] = [];
    const phases = { alone: { from: 0, to: 0 }, backToBack: { from: 0, to: 0 }, paced: { from: 0, to: 0 } };
    try {
      await Promise.race([firstBatchDone, ingestion]);
      await bot.profileStart();
      // Back to back: the next wave as soon as the last is answered (a closed loop: as many commands as the bot can take).
      phases.backToBack.from = Date.now();
      for (let n = 0; n < waves; n++) {
        if (n >= 2 && Date.now() - phases.backToBack.from > LOAD_BUDGET_MS) break;
        await wave(n, backToBack);
      }
      phases.backToBack.to = Date.now();
      await bot.profileStop();
      // Paced: a wave of `concurrency` commands at once every second (a burst, then what is left of the second).
      phases.paced.from = Date.now();
      for (let n = 0; n < waves; n++) {
        const due = phases.paced.from + (n + 1) * PACE_MS;
        await wave(waves + n, paced);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      }
      phases.paced.to = Date.now();
      // Then ingestion alone, on the same database and as warm: what the waves take from it is measured against this.
      phases.alone.from = Date.now();
      await new Promise((resolve) => setTimeout(resolve, ALONE_MS));
      phases.alone.to = Date.now();
    } finally {
      ingesting = false;
      try {
        await ingestion;
      } finally {
        await bot.stop();
        copy.remove();
      }
    }
    // Events per second of a phase: the batches answered within it (whole batches; the phase is many batches long).
    const ingested = (phase: { from: number; to: number }) => {
      const within = batches.filter((batch) => batch.answered > phase.from && batch.answered <= phase.to);
      return { rate: (within.length * batchSize * 1000) / Math.max(1, phase.to - phase.from), count: within.length, p99: summarise(within.length ? within.map((batch) => batch.ms) : [0]).p99 };
    };
    const alone = ingested(phases.alone);
    return [
      {
        section: "6 load",
        name: "ingestion alone, after the waves (same database)",
        value: alone.rate,
        unit: "events/s",
        note: `${alone.count} batches of ${batchSize}, batch p99 ${alone.p99.toFixed(0)} ms`,
      },
      ...phaseFigures("back to back", backToBack, ingested(phases.backToBack), concurrency, batchSize), ...phaseFigures(`paced, a wave a second`, paced, ingested(phases.paced), concurrency, batchSize),
    ];
  },
};

/** How long ingestion runs alone after the last wave. */
const ALONE_MS = 10_000;

/** How often a paced wave starts. */
const PACE_MS = 1000;

/** The target for ingestion while the waves run. */
const INGEST_DURING_WAVES_TARGET = 3000;

/** The figures of one phase of the load: acknowledgements, answers and the ingestion beside them. */
function phaseFigures(label: string, timings: Timing[], ingestion: { rate: number; count: number; p99: number }, concurrency: number, batchSize: number): Figure[] {
  const ack = summarise(timings.map((timing) => timing.ackMs));
  const answered = timings.filter((timing) => Number.isFinite(timing.answerMs));
  const unanswered = timings.length - answered.length;
  const answer = summarise(answered.length ? answered.map((timing) => timing.answerMs) : [Number.POSITIVE_INFINITY]);
  const section = "6 load";
  return [
    { section, name: `${label}: ack of ${timings.length} commands (${concurrency} at once): median`, value: ack.median, unit: "ms", note: `${timings.length / concurrency} waves` },
    { section, name: `${label}: ack p99`, value: ack.p99, unit: "ms", target: `≤ ${ACK_P99_TARGET_MS} ms (Slack: 3 s)`, met: ack.p99 <= ACK_P99_TARGET_MS, note: `max ${ack.max.toFixed(0)} ms` },
    { section, name: `${label}: answer on response_url: median`, value: answer.median, unit: "ms" },
    { section, name: `${label}: answer on response_url: p99`, value: answer.p99, unit: "ms", target: "< 1000 ms", met: answer.p99 < 1000, note: `max ${answer.max.toFixed(0)} ms` },
    { section, name: `${label}: answers not there within ${ANSWER_TIMEOUT_MS / 1000} s`, value: unanswered, unit: "", target: "0", met: unanswered === 0 },
    {
      section,
      name: `${label}: ingestion during the waves`,
      value: ingestion.rate,
      unit: "events/s",
      target: `≥ ${INGEST_DURING_WAVES_TARGET.toLocaleString("en-US")}/s`,
      met: ingestion.rate >= INGEST_DURING_WAVES_TARGET,
      note: `${ingestion.count} batches of ${batchSize}, batch p99 ${ingestion.p99.toFixed(0)} ms`,
    },
  ];
}
