import sqlite3 from "sqlite3";
import { slashCommandForm, slackSignature, TEST_SIGNING_SECRET } from "../test/support/slack-request.ts";
import type { MeasuredProcess } from "./child.ts";
import { SCALE_OPERATORS, type ScaleDatabase } from "./scale-db.ts";
import { AnswerTimeout, type SlackStandIn } from "./slack-stand-in.ts";
import { elapsedMs, seededRandom, summarise, type LatencySummary } from "./stats.ts";

/** The signing secret the measured processes verify with. */
const SIGNING_SECRET = TEST_SIGNING_SECRET;
/** The secret that signs POST /api/runs in the bench. */
export const RUNS_SECRET = "bench-runs-api-secret-0123456789";
/** A cron expression that does not fire during a bench (1 January, midnight): jobs stay out of the figures. */
const NEVER = "0 0 1 1 *";

/** The environment of the real bot under measurement: HTTP mode against the stand-in, jobs quiet. */
export function botEnv(databaseUrl: string, standIn: SlackStandIn, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: "xoxb-bench",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_APP_TOKEN: "",
    SLACK_API_URL: standIn.url,
    PORT: "0",
    DATABASE_URL: databaseUrl,
    // The production default: every log line the bot writes is part of what a request costs.
    LOG_LEVEL: "info",
    NODE_ENV: "production",
    HOUSEKEEPING_CRON: NEVER,
    ALERTS_CRON: NEVER,
    RETENTION_CRON: NEVER,
    RUNS_API_SECRET: RUNS_SECRET,
    ...extra,
  };
}

/** The environment of the bare Bolt app. */
export function bareEnv(standIn: SlackStandIn): Record<string, string> {
  return { SLACK_BOT_TOKEN: "xoxb-bench", SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: standIn.url, SLASH_COMMAND: "/integrations" };
}

/** One kind of request in a series: its label, who sends it, its text, and what a right answer contains. */
export interface CommandKind {
  label: string;
  user: string;
  /** The command text of the n-th request of this kind. */
  text(n: number): string;
  /** Checks the answer; returns a reason when it is wrong. */
  check?(body: Record<string, unknown>, text: string): string | undefined;
}

/** Ack and answer time of one signed slash command; answerMs is Infinity when the answer was late and that was allowed. */
export interface Timing {
  ackMs: number;
  answerMs: number;
}

let sequence = 0;

/** Sends one slash command as Slack does (form body, HMAC signature) and times the ack and the answer on its response_url. */
export async function sendSlash(
  target: Pick<MeasuredProcess, "name" | "baseUrl">,
  standIn: SlackStandIn,
  kind: CommandKind,
  n: number,
  options: { answerTimeoutMs?: number; allowLateAnswer?: boolean } = {},
): Promise<Timing> {
  const id = `${target.name}-${++sequence}`;
  const text = kind.text(n);
  const body = new URLSearchParams(slashCommandForm(text, kind.user, standIn.responseUrl(id))).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  const answer = standIn.waitFor(id, options.answerTimeoutMs ?? 30_000);
  const start = process.hrtime.bigint();
  const response = await fetch(`${target.baseUrl}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": slackSignature(body, SIGNING_SECRET, timestamp),
    },
    body,
  });
  await response.arrayBuffer();
  const ackMs = elapsedMs(start);
  if (response.status !== 200) {
    answer.catch(() => undefined);
    throw new Error(`${kind.label}: /slack/events answered ${response.status} to "${text}"`);
  }
  let post;
  try {
    post = await answer;
  } catch (error) {
    if (options.allowLateAnswer && error instanceof AnswerTimeout) return { ackMs, answerMs: Number.POSITIVE_INFINITY };
    throw error;
  }
  const answerMs = Number(post.at - start) / 1e6;
  const wrong = kind.check?.(post.body, text);
  if (wrong) throw new Error(`${kind.label}: wrong answer to "${text}": ${wrong}`);
  return { ackMs, answerMs };
}

/** Latencies of each kind, from a series. */
interface SeriesResult {
  answer: Record<string, LatencySummary>;
  ack: Record<string, LatencySummary>;
}

/**
 * Sends `count` requests of each kind, one at a time, the kinds interleaved (round robin) so that noise on a
 * shared machine falls on all of them alike. `warmup` rounds first are not counted (JIT, statement caches).
 * A kind that has spent `budgetSeconds` (after at least `minCount` requests) leaves the rotation, so one slow
 * command cannot stretch a run for an hour; its figures then say how many requests they rest on.
 */
export async function runSeries(
  targets: Array<{ process: MeasuredProcess; kind: CommandKind }>,
  standIn: SlackStandIn,
  count: number,
  warmup: number,
  budget: { budgetSeconds?: number; minCount?: number } = {},
): Promise<SeriesResult> {
  const answers = new Map<string, number[]>();
  const acks = new Map<string, number[]>();
  const spent = new Map<string, number>();
  const processes = [...new Set(targets.map((target) => target.process))];
  const budgetMs = (budget.budgetSeconds ?? Number.POSITIVE_INFINITY) * 1000;
  const minCount = budget.minCount ?? 20;
  for (let round = 0; round < warmup + count; round++) {
    if (round === warmup) for (const process of processes) await process.profileStart();
    for (const { process, kind } of targets) {
      const measured = answers.get(kind.label)?.length ?? 0;
      if (round >= warmup && measured >= minCount && (spent.get(kind.label) ?? 0) > budgetMs) continue;
      const timing = await sendSlash(process, standIn, kind, round);
      if (round < warmup) continue;
      spent.set(kind.label, (spent.get(kind.label) ?? 0) + timing.answerMs);
      (answers.get(kind.label) ?? answers.set(kind.label, []).get(kind.label)!).push(timing.answerMs);
      (acks.get(kind.label) ?? acks.set(kind.label, []).get(kind.label)!).push(timing.ackMs);
    }
  }
  if (count > 0) for (const process of processes) await process.profileStop();
  const answer: Record<string, LatencySummary> = {};
  const ack: Record<string, LatencySummary> = {};
  for (const [label, values] of answers) answer[label] = summarise(values);
  for (const [label, values] of acks) ack[label] = summarise(values);
  return { answer, ack };
}

/** The text of an answer's blocks, for checks. */
function answerText(body: Record<string, unknown>): string {
  return JSON.stringify(body.blocks ?? body.text ?? "");
}

function noWarning(body: Record<string, unknown>): string | undefined {
  const text = answerText(body);
  if (/:warning:|:no_entry:/.test(text)) return text.slice(0, 200);
  if (!Array.isArray(body.blocks)) return "no blocks";
  return undefined;
}

/** Integration ids spread over the whole table, picked the same way every run (by rowid, seeded). */
export async function sampleIntegrationIds(scale: ScaleDatabase, count: number, seed = 42): Promise<string[]> {
  const db = new sqlite3.Database(scale.path, sqlite3.OPEN_READONLY);
  const all = <T>(sql: string, params: unknown[] = []) =>
    new Promise<T[]>((resolve, reject) => db.all(sql, params, (error, rows) => (error ? reject(error) : resolve(rows as T[]))));
  try {
    const [bounds] = await all<{ low: number; high: number }>("SELECT MIN(rowid) AS low, MAX(rowid) AS high FROM integrations");
    const random = seededRandom(seed);
    const ids: string[] = [];
    for (let attempt = 0; ids.length < count && attempt < count * 10; attempt++) {
      const rowid = bounds!.low + Math.floor(random() * (bounds!.high - bounds!.low + 1));
      const [row] = await all<{ id: string }>("SELECT id FROM integrations WHERE rowid = ?", [rowid]);
      if (row) ids.push(row.id);
    }
    if (ids.length === 0) throw new Error(`no integrations in ${scale.path}`);
    return ids;
  } finally {
    db.close();
  }
}

/** The commands measured against the bot: `list` with three filter mixes, and `show`. */
export function botCommandKinds(showIds: string[]): CommandKind[] {
  return [
    { label: "list (all, admin)", user: SCALE_OPERATORS.admin.slack, text: () => "list", check: noWarning },
    { label: "list status:enabled latest:error (admin)", user: SCALE_OPERATORS.admin.slack, text: () => "list status:enabled latest:error", check: noWarning },
    { label: "list failing (member, 3 groups)", user: SCALE_OPERATORS.viewer.slack, text: () => "list failing", check: noWarning },
    {
      label: "show ID (admin)",
      user: SCALE_OPERATORS.admin.slack,
      text: (n) => `show ${showIds[n % showIds.length]}`,
      check: (body, text) => noWarning(body) ?? (answerText(body).includes(text.slice(5)) ? undefined : "the integration id is not in the answer"),
    },
  ];
}

/** The bare Bolt echo command. */
export function echoKind(): CommandKind {
  return { label: "bare Bolt echo", user: "UECHO", text: (n) => `echo ${n}`, check: (body, text) => (String(body.text).includes(text) ? undefined : "echo missing") };
}
