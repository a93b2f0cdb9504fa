/**
 * A bulk run of many integrations through the batch engine, against a local flow engine that answers each run
 * request after 50 ms: members per second, the most requests in flight, and the Slack calls the summary made.
 *
 *   npx tsx bench/bulk.ts [--integrations 10000] [--engine-ms 50] [--concurrency 4]
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/bulk.ts
 *
 * The batch is stored and confirmed as `confirm` does (queued, with its channel message), then the worker of a
 * real runtime acts on it with its default pacing: the real runner signs and sends every request over HTTP.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { COMMANDS } from "../commands/index.ts";
import { createBatch, findBatch, newBatchId, setBatchMessage, tallyMembers } from "../src/data/batches.ts";
import { loadConfig } from "../src/config.ts";
import { setLogLevel } from "../src/log.ts";
import { openRuntime } from "../src/runtime.ts";
import type { ChannelMessages } from "../src/reply/messages.ts";

const { values } = parseArgs({
  options: {
    integrations: { type: "string", default: "10000" },
    "engine-ms": { type: "string", default: "50" },
    concurrency: { type: "string", default: "4" },
  },
});
const count = Number(values.integrations);
const engineMs = Number(values["engine-ms"]);

// The flow engine: answers every run request after engineMs with a finished, successful run.
let inFlight = 0;
let maxInFlight = 0;
let requests = 0;
const engine = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    requests += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"success"}');
    }, engineMs);
  });
});
await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
const engineUrl = `http://127.0.0.1:${(engine.address() as AddressInfo).port}/run`;

const dir = mkdtempSync(join(tmpdir(), "embedops-bulk-"));
const postgresServer = process.env.BENCH_POSTGRES_URL?.trim() || undefined;
const postgresName = `embedops_bulk_${process.pid}`;
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresServer });
  await client.connect();
  await client.query(sql);
  await client.end();
}
let databaseUrl = `sqlite:${join(dir, "bench.sqlite")}`;
if (postgresServer) {
  await admin(`CREATE DATABASE ${postgresName}`);
  const url = new URL(postgresServer);
  url.pathname = `/${postgresName}`;
  databaseUrl = url.toString();
}

// Slack's chat.postMessage and chat.update, counted.
const slackCalls = { post: 0, update: 0 };
const messages: ChannelMessages = {
  async post(channel) {
    slackCalls.post += 1;
    return { channel, ts: "1700000000.000100" };
  },
  async update() {
    slackCalls.update += 1;
  },
};

setLogLevel("silent");
const config = loadConfig({ DATABASE_URL: databaseUrl, RUNNER_SIGNING_SECRET: "bench-runner-secret", BULK_CONCURRENCY: String(values.concurrency), PORT: "0", LOG_LEVEL: "silent" });
const runtime = await openRuntime(config, { messages, commands: COMMANDS });
const { models } = runtime.db;
const now = new Date();
await models.Group.create({ id: "g1", name: "Bench Group", kind: "group" });
await models.EmbedConfiguration.create({ id: "cfg_1", name: "Bench", groupId: "g1", sharingLevel: "user", secret: "bench-configuration-secret", proprietaryConnector: null });
await models.EmbedFlow.create({ id: "flow_1", name: "Bench flow", url: null, trigger: "scheduler", triggerUrl: engineUrl });
await models.Operator.create({ email: "bench@example.com", name: "Bench", role: "admin" });
const ids = Array.from({ length: count }, (_, i) => `int_${String(i + 1).padStart(6, "0")}`);
for (let i = 0; i < ids.length; i += 1000) {
  await models.Integration.bulkCreate(
    ids.slice(i, i + 1000).map((id) => ({
      id,
      name: `Bench ${id}`,
      flowId: "flow_1",
      configurationId: "cfg_1",
      groupId: "g1",
      sharingLevel: "user" as const,
      activationKey: `cfg_1|flow_1|u:${id}`,
      embedUserId: `u_${id}`,
      embedAccountId: `acc_${id}`,
      embedUserName: null,
      embedAccountName: null,
      embedState: null,
      status: "enabled" as const,
      triggerUrl: null,
      statusChangedAt: null,
      statusChangedBy: null,
      disabledReason: null,
      latestRunId: null,
      latestRunStatus: null,
      latestRunAt: null,
      latestRunError: null,
      lastSuccessAt: null,
      failingSince: null,
      activityAt: now,
      manualRunId: null,
      createdAt: now,
      updatedAt: now,
    })),
  );
}

const batchId = newBatchId();
await createBatch(runtime.db, {
  id: batchId,
  action: "run",
  status: "queued",
  requestedBy: "bench@example.com",
  requesterSlackUserId: null,
  filterText: "flow:flow_1",
  reason: null,
  apart: 0,
  expiresAt: null,
  members: ids.map((id) => ({ integrationId: id, groupId: "g1", name: `Bench ${id}` })),
  at: now,
});
await setBatchMessage(runtime.db, batchId, await messages.post("CBENCH", { text: "", blocks: [] }), now);

const started = performance.now();
runtime.batchWorker.start();
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const batch = await findBatch(runtime.db, batchId);
  if (batch?.status === "finished") break;
}
const seconds = (performance.now() - started) / 1000;
const tally = await tallyMembers(runtime.db, batchId);
await runtime.close();
await new Promise<void>((resolve) => engine.close(() => resolve()));
rmSync(dir, { recursive: true, force: true });
if (postgresServer) await admin(`DROP DATABASE ${postgresName}`);

const floor = (count * engineMs) / 1000 / config.bulkConcurrency;
console.log(
  JSON.stringify({
    membersPerSecond: Math.round((count / seconds) * 10) / 10,
    seconds: Math.round(seconds * 10) / 10,
    floorSeconds: Math.round(floor * 10) / 10,
    slackUpdates: slackCalls.update,
    slackPosts: slackCalls.post,
    maxInFlight,
    requests,
    succeeded: tally.outcomes.succeeded ?? 0,
    integrations: count,
    dialect: postgresServer ? "postgres" : "sqlite",
  }),
);
