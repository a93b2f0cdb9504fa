import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { openDatabase } from "../src/data/database.ts";
import { migrate } from "../src/data/migrate.ts";
import buildOnce from "../test/support/build-once.ts";
import { addIntegrations, loadWorld, WORLD } from "../test/support/fixtures.ts";
import { REPO_ROOT, tail } from "./child.ts";
import { botEnv, sendSlash, type CommandKind, type Timing } from "./drive.ts";
import type { Figure } from "./report.ts";
import { BENCH_DATA_DIR } from "./scale-db.ts";
import type { BenchContext, Section } from "./section.ts";
import { summarise } from "./stats.ts";

const SECTION = "12 warm start";

/** Slack's floor: a slash command not acknowledged within 3 seconds is an error shown to the person. */
const SLACK_ACK_MS = 3_000;

/** Commands sent at once, the moment the bot accepts connections. */
const BURST = 50;

/** The two commands of the burst: `help` (identity only) and `list` (identity, permissions, a query). */
const KINDS: CommandKind[] = [
  { label: "help", user: WORLD.operators.viewer.slack, text: () => "help", check: (body) => (JSON.stringify(body).includes("list") ? undefined : "no usage in the answer") },
  { label: "list", user: WORLD.operators.admin.slack, text: () => "list", check: (body) => (JSON.stringify(body).includes("warm_") ? undefined : "no integration in the answer") },
];

/** A port free now, for the bot to listen on (so the harness can knock before the bot says it is up). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port` (tried every 5 ms), or fails after `timeoutMs`. */
async function acceptsConnections(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode} before it listened`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the bot did not listen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A fresh PostgreSQL database on the server of `serverUrl`, migrated, with the test world and a few integrations. */
async function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `embedops_bench_warm_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openDatabase(url.toString());
  try {
    await migrate(db);
    await loadWorld(db);
    await addIntegrations(db, Array.from({ length: 30 }, (_, i) => ({ id: `warm_${i}` })));
  } finally {
    await db.close();
  }
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Starts the built bot as `npm start` runs it, sends the burst the moment it accepts connections, then a second burst once warm. */
async function oneStart(ctx: BenchContext, databaseUrl: string, round: number): Promise<{ cold: Timing[]; warm: Timing[]; listenMs: number }> {
  const port = await freePort();
  mkdirSync(join(BENCH_DATA_DIR, "logs"), { recursive: true });
  const logPath = join(BENCH_DATA_DIR, "logs", `bot-warm-start-${round}.log`);
  const logFd = openSync(logPath, "w");
  const started = Date.now();
  const child = spawn(process.execPath, [join(REPO_ROOT, "bin/embedops.mjs"), "start"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC", ...botEnv(databaseUrl, ctx.standIn, { PORT: String(port) }) },
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const target = { name: `warm-start-${round}`, baseUrl: `http://127.0.0.1:${port}` };
  const burst = () => Promise.all(Array.from({ length: BURST }, (_, n) => sendSlash(target, ctx.standIn, KINDS[n % KINDS.length]!, n, { answerTimeoutMs: 30_000 })));
  try {
    await acceptsConnections(port, child, 60_000).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}; its log:\n${tail(logPath)}`);
    });
    const listenMs = Date.now() - started;
    const cold = await burst();
    const warm = await burst();
    return { cold, warm, listenMs };
  } finally {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * 12. Warm start, on PostgreSQL (`--database-url postgres://…`, or BENCH_POSTGRES_URL): the built bot started as a
 * real process as `npm start` runs it; the moment it accepts connections, 50 signed slash commands at once (help
 * and list, through the real identity path: users.info on the stand-in), each ack timed against Slack's 3 s; then
 * the same burst once warm, for comparison. Each start is a fresh process on a fresh database.
 */
export const warmStartSection: Section = {
  key: "warmstart",
  title: "12. Warm start: 50 commands at a bot the moment it listens (PostgreSQL)",
  async run(ctx: BenchContext): Promise<Figure[]> {
    const server = ctx.options.databaseUrl;
    if (!server?.startsWith("postgres")) {
      ctx.notes.push("12 warm start: skipped, it needs PostgreSQL (--database-url postgres://… or BENCH_POSTGRES_URL).");
      return [];
    }
    ctx.progress("warm start: building dist/ if a source is newer");
    buildOnce();
    for (const who of Object.values(WORLD.operators)) ctx.standIn.emails.set(who.slack, who.email);
    const rounds = ctx.options.quick ? 1 : 3;
    const cold: Timing[] = [];
    const warm: Timing[] = [];
    const listen: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const database = await freshDatabase(server);
      try {
        ctx.progress(`warm start: start ${round + 1} of ${rounds}`);
        const result = await oneStart(ctx, database.url, round);
        cold.push(...result.cold);
        warm.push(...result.warm);
        listen.push(result.listenMs);
      } finally {
        await database.drop();
      }
    }
    const ack = summarise(cold.map((t) => t.ackMs));
    const answer = summarise(cold.map((t) => t.answerMs));
    const warmAck = summarise(warm.map((t) => t.ackMs));
    const note = `${rounds} start(s) × ${BURST} commands`;
    return [
      { section: SECTION, name: "process start to accepting connections: median", value: summarise(listen).median, unit: "ms", note: "node, migrate (nothing to do), warm-up" },
      { section: SECTION, name: `ack of ${BURST} commands at once, just started: p50`, value: ack.median, unit: "ms", note },
      { section: SECTION, name: "… p99", value: ack.p99, unit: "ms", target: `< ${SLACK_ACK_MS} ms (Slack's floor)`, met: ack.p99 < SLACK_ACK_MS },
      { section: SECTION, name: "… max", value: ack.max, unit: "ms", target: `< ${SLACK_ACK_MS} ms`, met: ack.max < SLACK_ACK_MS },
      { section: SECTION, name: "answer on response_url, just started: p50 / max", value: answer.median, unit: "ms", note: `max ${answer.max.toFixed(0)} ms` },
      { section: SECTION, name: `the same burst once warm: ack p50`, value: warmAck.median, unit: "ms", note: `p99 ${warmAck.p99.toFixed(0)} ms, max ${warmAck.max.toFixed(0)} ms` },
    ];
  },
};
