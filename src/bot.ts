import { COMMANDS } from "../commands/index.ts";
import type { Readable, Writable } from "node:stream";
import { startSchedules, type Schedules } from "../jobs/schedule.ts";
import { apiRoutes } from "./api/index.ts";
import { createHttpServer, type HttpServer } from "./api/http.ts";
import type { BatchWorkerTiming } from "./batches/worker.ts";
import type { Clock } from "./clock.ts";
import { ConfigError, missingSlackCredentials, slackMode, type Config } from "./config.ts";
import { ConsoleScreen, consoleMessages, runConsole } from "./console.ts";
import { warmPool, type OpenOptions } from "./data/database.ts";
import { databaseIsEmpty, seedDemo, seedDemoIfEmpty } from "./data/seed.ts";
import { ensureAdmins } from "./data/operators.ts";
import { log, registerSecrets } from "./log.ts";
import { openRuntime, type Runtime } from "./runtime.ts";
import { startOutboxSender, type OutboxSender } from "./outbox/sender.ts";
import { startInterruptedRunRecovery } from "./runner/interrupted-runs.ts";
import { createSlackApp, type SlackApp } from "./slack/app.ts";
import { warmIdentity, webDirectory } from "./slack/identity.ts";
import { createWebClient, webChannelMessages } from "./slack/web-client.ts";

/** A running bot: its runtime, the port its HTTP server bound, and how to stop it. */
export interface BotHandle {
  runtime: Runtime;
  port: number;
  /**
   * Stops gracefully: schedules, then new requests; waits for the requests, jobs and background work in flight
   * (at most `graceMs`, default SHUTDOWN_GRACE_MS), then closes the database. Calling it again waits for the same stop.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** How long a shutdown waits for work in flight before it closes anyway. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Waits for `work` until `deadline` (epoch ms); true when it finished in time. */
async function within(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a started bot stops, in order. */
interface RunningParts {
  runtime: Runtime;
  slack: SlackApp;
  http: HttpServer;
  schedules: Schedules;
  recovery: { stop(): Promise<void> };
  sender: OutboxSender;
}

/**
 * Stops a started bot within `graceMs`: at once no new firings, batches, socket events or connections; then the
 * firings, batch members and requests under way finish (or are left at the deadline); the database closes last.
 */
async function shutdown(parts: RunningParts, graceMs: number): Promise<void> {
  const { runtime, slack, http, schedules, recovery, sender } = parts;
  const deadline = Date.now() + graceMs;
  log.info({ graceMs }, "stopping: schedules first, then new requests; finishing the work in flight");
  const batches = runtime.batchWorker.stop();
  // The sender last: what the firings and batches queued while stopping still goes out within the grace.
  const jobs = Promise.all([schedules.stop(), recovery.stop(), batches]).then(() => sender.stop({ drainMs: Math.max(0, deadline - Date.now() - 500) }));
  await slack.stop();
  const requests = http.close();
  if (!(await within(jobs, deadline))) log.warn("a job is still running at the deadline; stopping without it");
  if (!(await within(batches, deadline))) log.warn("a batch member is still in hand at the deadline; another start resolves it");
  if (!(await within(requests, deadline))) {
    log.warn("HTTP requests still open at the deadline; closing them");
    http.server.closeAllConnections();
  }
  // Slack requests acked but still being worked on, runs' outcomes: then the database closes.
  if (!(await runtime.background.settle(Math.max(0, deadline - Date.now())))) log.warn({ pending: runtime.background.size }, "background work still running at the deadline");
  await runtime.close();
  log.info("embedops stopped");
}

/** How long warming may hold start-up: a slow database or Slack leaves the rest to the first requests. */
const WARM_UP_LIMIT_MS = 3_000;

/**
 * Warms what the first requests need before the server listens: the database pool's connections open, the Web API
 * connection set up (auth.test), and the identity path of every Slack request (src/slack/identity.ts warmIdentity).
 * Neither may hold start-up for longer than WARM_UP_LIMIT_MS or stop it.
 */
async function warmUp(runtime: Runtime, client: ReturnType<typeof createWebClient>): Promise<void> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const warmed = await Promise.race([
    Promise.all([warmPool(runtime.db), client.auth.test(), warmIdentity(runtime.db)]).then(
      () => true,
      (error: unknown) => {
        log.warn({ err: error }, "could not warm the database pool or the Slack connection");
        return false;
      },
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), WARM_UP_LIMIT_MS))),
  ]);
  clearTimeout(timer);
  log.info({ durationMs: Math.round(performance.now() - started), warmed }, warmed ? "warmed up: database pool, Slack connection, identity" : "warm-up incomplete: starting anyway");
}

/** Starts the bot connected to Slack (HTTP or Socket Mode): HTTP server, Bolt app, schedules. */
export async function startBot(
  config: Config,
  options: { clock?: Clock; batchTiming?: Partial<BatchWorkerTiming>; onStatement?: OpenOptions["onStatement"] } = {},
): Promise<BotHandle> {
  const mode = slackMode(config);
  if (mode === "console") {
    throw new ConfigError(missingSlackCredentials(config)[0] ?? "SLACK_BOT_TOKEN", `Slack credentials are missing: ${missingSlackCredentials(config).join(", ")}`);
  }
  registerSecrets([config.slackBotToken, config.slackSigningSecret, config.slackAppToken, config.runsApiSecret, config.runnerSigningSecret]);
  const client = createWebClient(config);
  const directory = webDirectory(client, options.clock ?? { now: () => new Date() });
  const messages = webChannelMessages(client);
  const runtime = await openRuntime(config, { clock: options.clock, messages, directory, commands: COMMANDS, batchTiming: options.batchTiming, onStatement: options.onStatement });
  let slack: SlackApp | undefined;
  let http: HttpServer | undefined;
  let schedules: Schedules | undefined;
  let recovery: { stop(): Promise<void> } | undefined;
  let sender: OutboxSender | undefined;
  try {
    recovery = await startInterruptedRunRecovery(runtime);
    await warmUp(runtime, client);
    slack = await createSlackApp(runtime, directory, mode);
    http = createHttpServer(apiRoutes(runtime), slack.requestListener);
    await slack.start();
    sender = startOutboxSender({ db: runtime.db, messages, spacingMs: config.outboxSpacingMs, leaseTtlMs: config.jobLeaseTtlMs });
    schedules = startSchedules(runtime, messages);
    runtime.batchWorker.start();
    // Listening comes last: the first burst of requests finds everything started, nothing still starting beside it.
    const port = await http.listen(config.port);
    // Connected to Slack, an empty database answers every command with nothing: say how to fill it. Before "up":
    // the caller installs its signal handlers once this returns, right after that line.
    if (await databaseIsEmpty(runtime.db).catch(() => false)) {
      log.warn("the database is empty: every list is empty until you load your data with `npx embedops import FILE.json` (or demo data with `npx embedops seed --demo`)");
    }
    log.info({ mode, port }, "embedops is up");
    let stopping: Promise<void> | undefined;
    const running: RunningParts = { runtime, slack, http, schedules, recovery, sender };
    return {
      runtime,
      port,
      stop(options: { graceMs?: number } = {}) {
        stopping ??= shutdown(running, options.graceMs ?? SHUTDOWN_GRACE_MS);
        return stopping;
      },
    };
  } catch (error) {
    await sender?.stop();
    await recovery?.stop();
    await schedules?.stop();
    await http?.close().catch(() => undefined);
    await runtime.close();
    throw error;
  }
}

/** Loads demo data when asked (`--demo`) or into an empty SQLite database; an empty PostgreSQL database gets how to import. */
async function offerDemo(runtime: Runtime, output: Writable, demo: boolean): Promise<void> {
  if (demo) {
    await seedDemo(runtime.db, { now: runtime.clock.now(), timeZone: runtime.config.timeZone });
    await ensureAdmins(runtime.db, runtime.config.adminEmails);
    output.write("Demo data loaded (--demo).\n\n");
  } else if (runtime.db.dialect === "sqlite") {
    if (await seedDemoIfEmpty(runtime)) output.write("The database was empty: demo data loaded.\n\n");
  } else if (await databaseIsEmpty(runtime.db)) {
    // Demo rows never go into PostgreSQL unasked: it is where production data lives.
    output.write("The database is empty. Load your data with `npx embedops import FILE.json`, or demo data with `--demo` (or `npx embedops seed --demo`).\n\n");
  }
}

/** Runs the local console on the configured database (demo data as offerDemo says), with schedules printing. */
export async function startConsole(config: Config, options: { as?: string; demo?: boolean; input: Readable; output: Writable; interactive?: boolean; clock?: Clock; width?: number }): Promise<void> {
  const screen = new ConsoleScreen(options.output);
  const messages = consoleMessages(screen, config.slashCommand, options.width);
  const runtime = await openRuntime(config, { clock: options.clock, messages, commands: COMMANDS });
  let schedules: Schedules | undefined;
  let sender: OutboxSender | undefined;
  let recovery: { stop(): Promise<void> } | undefined;
  try {
    await offerDemo(runtime, options.output, options.demo ?? false);
    // Manual runs (and bulk members) a console stopped mid-request are recovered here too, as the bot does.
    recovery = await startInterruptedRunRecovery(runtime);
    sender = startOutboxSender({ db: runtime.db, messages, spacingMs: 0, leaseTtlMs: config.jobLeaseTtlMs });
    schedules = startSchedules(runtime, messages);
    runtime.batchWorker.start();
    await runConsole(runtime, { ...options, screen });
  } finally {
    await schedules?.stop();
    await recovery?.stop();
    await sender?.stop();
    await runtime.close();
  }
}
