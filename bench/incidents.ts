/**
 * Incidents at fleet scale, printed as one JSON line:
 *
 *   npx tsx bench/incidents.ts [--copies 300] [--sizes 10000,100000] [--runs 2] [--repeat 30]
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/incidents.ts --sizes ""
 *
 * 1. Messages per ALERTS_CRON firing: `--copies` integrations of one Embed Flow fail within a minute with
 *    one error (each copy wording it with its own ids), recorded through the write path of POST /api/runs;
 *    the failure-alerts job then fires as the schedule would. Every message it posts or updates is counted,
 *    per firing: the outage, no change, 50 more copies joining, every copy recovering. On a fresh database
 *    (PostgreSQL when BENCH_POSTGRES_URL names a server).
 * 2. `incidents` (admin, and a member with view on three groups) at each fleet size: on a working copy of
 *    the scale database, 300 copies of one flow are made to fail with one error through the write path,
 *    one firing opens the incident, then the command is answered `--repeat` times through the dispatcher.
 *    The firing's own time (the incident check over the whole fleet) is reported too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { COMMANDS } from "../commands/index.ts";
import { createFailureAlertsJob } from "../jobs/failure-alerts.ts";
import { drainOutbox } from "../src/outbox/sender.ts";
import { runJob } from "../jobs/runner.ts";
import { FakeClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { recordRunBatch, type RunInput } from "../src/data/flow-runs.ts";
import { findOperatorByEmail, operatorActor } from "../src/data/operators.ts";
import type { Doc } from "../src/reply/document.ts";
import type { ChannelMessages, MessageRef } from "../src/reply/messages.ts";
import { openRuntime, type Runtime } from "../src/runtime.ts";
import { setLogLevel } from "../src/log.ts";
import { ensureScaleDatabase, SCALE_OPERATORS, workingCopy } from "./scale-db.ts";

const { values } = parseArgs({
  options: {
    copies: { type: "string", default: "300" },
    sizes: { type: "string", default: "10000,100000" },
    runs: { type: "string", default: "2" },
    repeat: { type: "string", default: "30" },
  },
});
const copies = Number(values.copies);
const sizes = values.sizes!.split(",").filter((part) => part.trim() !== "").map(Number);
const runsPerIntegration = Number(values.runs);
const repeat = Number(values.repeat);
setLogLevel("silent");

/** Counts what a firing sends to Slack, as posts and updates. */
function countingMessages(): ChannelMessages & { posts: number; updates: number; texts: string[] } {
  let ts = 1;
  const messages = {
    posts: 0,
    updates: 0,
    texts: [] as string[],
    async post(channel: string, doc: Doc): Promise<MessageRef> {
      messages.posts += 1;
      messages.texts.push(doc.text);
      return { channel, ts: `${ts++}.000100` };
    },
    async update(_ref: MessageRef, doc: Doc): Promise<void> {
      messages.updates += 1;
      messages.texts.push(doc.text);
    },
  };
  return messages;
}

/** The outage's error as one copy words it: its own request id, e-mail and URL. */
function outageError(n: number): string {
  return `Salesforce answered 503 for request req_${(n * 7919).toString(16).padStart(6, "0")}a (account acc_${n}@example.com): "Service Unavailable" at https://sf.example.com/${n}/sync`;
}

/** Three failed runs of each integration, their streaks starting within one minute from `at`. */
function failures(ids: string[], at: Date, tag: string): RunInput[] {
  return ids.flatMap((integrationId, n) => {
    const start = at.getTime() + Math.floor((n * 60_000) / ids.length);
    return [0, 1, 2].map((k): RunInput => ({
      id: `bench_${tag}_${integrationId}_${k}`,
      integrationId,
      status: "error",
      trigger: "scheduler",
      startedAt: new Date(start + k * 1_000),
      finishedAt: new Date(start + k * 1_000 + 500),
      error: outageError(n),
    }));
  });
}

function successes(ids: string[], at: Date, tag: string): RunInput[] {
  return ids.map((integrationId) => ({ id: `bench_${tag}_${integrationId}`, integrationId, status: "success", trigger: "scheduler", startedAt: at, finishedAt: at }));
}

async function record(runtime: Runtime, runs: RunInput[]): Promise<void> {
  for (let i = 0; i < runs.length; i += 1000) await recordRunBatch(runtime.db, runs.slice(i, i + 1000), runtime.clock.now());
}

/** One scheduled firing of failure-alerts; the messages it sent, and how long it took. */
async function fire(runtime: Runtime, messages: ReturnType<typeof countingMessages>): Promise<{ messages: number; ms: number }> {
  const before = messages.posts + messages.updates;
  const result = await runJob(runtime, createFailureAlertsJob(), { messages, firedAt: runtime.clock.now(), trigger: "schedule" });
  if (result.outcome !== "ok") throw new Error(`failure-alerts failed: ${result.error}`);
  // The firing queues its messages in the outbox; spacing 0 here: the count is what matters, the sender's pace is one write a second.
  await drainOutbox({ db: runtime.db, messages, spacingMs: 0, leaseTtlMs: 30_000 });
  return { messages: messages.posts + messages.updates - before, ms: result.durationMs };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const out: Record<string, number | string | boolean> = {};

// 1. One outage, copies of one flow: messages per firing.
{
  const dir = mkdtempSync(join(tmpdir(), "embedops-incidents-"));
  const server = process.env.BENCH_POSTGRES_URL?.trim() || undefined;
  const name = `embedops_incidents_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  let url = `sqlite:${join(dir, "bench.sqlite")}`;
  if (server) {
    await admin(`CREATE DATABASE ${name}`);
    const u = new URL(server);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const clock = new FakeClock("2026-11-20T12:00:00Z");
  const messages = countingMessages();
  const config = loadConfig({ DATABASE_URL: url, ALERTS_CHANNEL: "C0ALERTS", LOG_LEVEL: "silent" });
  const runtime = await openRuntime(config, { clock, messages, commands: COMMANDS });
  const { models } = runtime.db;
  const at = clock.now();
  await models.Group.create({ id: "g_bench", name: "Bench group", kind: "group" });
  await models.EmbedConfiguration.create({ id: "cfg_bench", name: "Bench", groupId: "g_bench", sharingLevel: "user", secret: "x", proprietaryConnector: null });
  await models.EmbedFlow.create({ id: "flow_bench", name: "Bench flow", url: null, trigger: "scheduler", triggerUrl: null });
  const total = copies + 50 + 700;
  const ids = Array.from({ length: total }, (_, i) => `int_${String(i).padStart(6, "0")}`);
  for (let start = 0; start < total; start += 500) {
    await models.Integration.bulkCreate(
      ids.slice(start, start + 500).map((id) => ({
        id, name: `Copy ${id}`, flowId: "flow_bench", configurationId: "cfg_bench", groupId: "g_bench", sharingLevel: "user" as const,
        activationKey: `cfg_bench|flow_bench|u:${id}`, embedUserId: `u_${id}`, embedAccountId: `acc_${id}`, embedUserName: null, embedAccountName: null,
        embedState: null, status: "enabled" as const, triggerUrl: null, statusChangedAt: null, statusChangedBy: null, disabledReason: null,
        latestRunId: null, latestRunStatus: null, latestRunAt: null, latestRunError: null, lastSuccessAt: null, failingSince: null,
        activityAt: at, manualRunId: null, createdAt: at, updatedAt: at,
      })),
    );
  }
  const outage = ids.slice(0, copies);
  const later = ids.slice(copies, copies + 50);
  // The rest of the fleet runs fine.
  await record(runtime, successes(ids.slice(copies + 50), at, "ok"));
  await record(runtime, failures(outage, new Date(at.getTime() + 60_000), "outage"));
  clock.set(new Date(at.getTime() + 3 * 60_000));
  const first = await fire(runtime, messages);
  clock.advance(60_000);
  const quiet = await fire(runtime, messages);
  await record(runtime, failures(later, clock.now(), "later"));
  clock.advance(60_000);
  const grown = await fire(runtime, messages);
  await record(runtime, successes([...outage, ...later], clock.now(), "recovered"));
  clock.advance(60_000);
  const resolved = await fire(runtime, messages);
  out.failingCopies = copies;
  out.messagesFirstFiring = first.messages;
  out.messagesQuietFiring = quiet.messages;
  out.messagesGrowingFiring = grown.messages;
  out.messagesResolvingFiring = resolved.messages;
  out.mostMessagesInOneFiring = Math.max(first.messages, quiet.messages, grown.messages, resolved.messages);
  out.firstFiringMs = first.ms;
  out.quietFiringMs = quiet.ms;
  out.growingFiringMs = grown.ms;
  out.outageDialect = server ? "postgres" : "sqlite";
  out.saidIncident = messages.texts.every((text) => text.startsWith("Incident "));
  await runtime.close();
  if (server) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  rmSync(dir, { recursive: true, force: true });
}

// 2. `incidents` as the fleet grows.
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
const medians = new Map<number, number>();
for (const size of sizes) {
  const scale = await ensureScaleDatabase({ integrations: size, runsPerIntegration }, { onProgress: (message) => process.stderr.write(`${label(size)}: ${message}\n`) });
  const copy = workingCopy(scale, `incidents-${label(size)}`);
  try {
    const clock = new FakeClock(new Date(new Date(scale.meta.now).getTime() + 60 * 60_000));
    const messages = countingMessages();
    const config = loadConfig({ DATABASE_URL: copy.url, ALERTS_CHANNEL: "C0ALERTS", LOG_LEVEL: "silent" });
    const runtime = await openRuntime(config, { clock, messages, commands: COMMANDS });
    const [flow] = (await runtime.db.sequelize.query(
      "SELECT flow_id, COUNT(*) AS n FROM integrations WHERE status = 'enabled' GROUP BY flow_id ORDER BY n DESC LIMIT 1",
      { type: "SELECT" },
    )) as Array<{ flow_id: string }>;
    const members = ((await runtime.db.sequelize.query("SELECT id FROM integrations WHERE status = 'enabled' AND flow_id = :flow ORDER BY id LIMIT 300", {
      replacements: { flow: flow!.flow_id },
      type: "SELECT",
    })) as Array<{ id: string }>).map((row) => row.id);
    await record(runtime, failures(members, new Date(clock.now().getTime() - 5 * 60_000), "outage"));
    const firing = await fire(runtime, messages);
    const admin = await operatorActor(runtime.db, (await findOperatorByEmail(runtime.db, SCALE_OPERATORS.admin.email))!);
    const viewer = await operatorActor(runtime.db, (await findOperatorByEmail(runtime.db, SCALE_OPERATORS.viewer.email))!);
    const time = async (actor: typeof admin) => {
      const samples: number[] = [];
      for (let i = 0; i < repeat + 3; i++) {
        const started = performance.now();
        const reply = await runtime.dispatcher.handle("incidents", actor, { transport: "console" });
        if (i >= 3) samples.push(performance.now() - started);
        if (i === 0 && actor === admin && !reply.doc.text.includes("open incident")) throw new Error(`incidents answered: ${reply.doc.text}`);
      }
      return median(samples);
    };
    const adminMs = await time(admin);
    const viewerMs = await time(viewer);
    medians.set(size, adminMs);
    out[`incidentsAdminMs_${label(size)}`] = Number(adminMs.toFixed(2));
    out[`incidentsViewerMs_${label(size)}`] = Number(viewerMs.toFixed(2));
    out[`firingMs_${label(size)}`] = firing.ms;
    out[`firingMessages_${label(size)}`] = firing.messages;
    await runtime.close();
  } finally {
    copy.remove();
  }
}
if (sizes.length > 1) {
  const smallest = Math.min(...sizes);
  const largest = Math.max(...sizes);
  out.incidentsGrowth = Number((medians.get(largest)! / medians.get(smallest)!).toFixed(2));
  out.incidentsGrowthSizes = `${label(largest)} ÷ ${label(smallest)}`;
}
console.log(JSON.stringify(out));
