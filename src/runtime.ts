import { BackgroundTasks } from "./background.ts";
import { BatchWorker, type BatchWorkerTiming } from "./batches/worker.ts";
import { systemClock, type Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { openDatabase, type Database, type OpenOptions } from "./data/database.ts";
import { refreshDueHealth } from "./data/health.ts";
import { healthRules } from "./data/integrations.ts";
import { migrate } from "./data/migrate.ts";
import { log } from "./log.ts";
import { ensureAdmins } from "./data/operators.ts";
import { createRunner } from "./runner/runner.ts";
import type { Command, Services } from "./slash/command.ts";
import type { ChannelMessages } from "./reply/messages.ts";
import { createDispatcher, type Dispatcher } from "./slash/dispatch.ts";
import type { SlackDirectory } from "./slack/identity.ts";

/** Everything a command, a job or an API route needs, built once per process. */
export interface Runtime {
  config: Config;
  db: Database;
  clock: Clock;
  dispatcher: Dispatcher;
  services: Services;
  background: BackgroundTasks;
  /** Acts on confirmed bulk actions; started by the bot and the console, not by one-off CLI commands. */
  batchWorker: BatchWorker;
  /** Slack's directory of people, when connected to Slack. */
  directory?: SlackDirectory;
  /** Closes what the runtime opened. */
  close(): Promise<void>;
}

/** Options for opening a runtime. */
interface RuntimeOptions {
  clock?: Clock;
  messages: ChannelMessages;
  directory?: SlackDirectory;
  /** An already open database (tests share one across runtimes). */
  db?: Database;
  /** Sees the text of every statement sent, when the runtime opens the database itself. */
  onStatement?: OpenOptions["onStatement"];
  /** The slash subcommands the dispatcher serves: the registry, handed in by the composition root. */
  commands: readonly Command[];
  /** The bulk-action worker's pacing (tests shorten it). */
  batchTiming?: Partial<BatchWorkerTiming>;
}

/** Opens the database, applies migrations, makes ADMIN_EMAILS admins, and wires the commands it is given. */
export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const db = options.db ?? openDatabase(config.databaseUrl, { onStatement: options.onStatement });
  const ownsDb = !options.db;
  await migrate(db);
  await ensureAdmins(db, config.adminEmails);
  const clock = options.clock ?? systemClock;
  // Verdicts kept with other thresholds than those configured now (or due) are recomputed before anything reads them.
  const health = await refreshDueHealth(db, healthRules(config, clock.now()), clock.now(), Number.POSITIVE_INFINITY);
  if (health.refreshed) log.info({ refreshed: health.refreshed }, "health verdicts recomputed at start-up");
  const background = new BackgroundTasks();
  const runner = createRunner({ db, config, clock, messages: options.messages });
  const batchWorker = new BatchWorker({ db, config, clock, runner, messages: options.messages, timing: options.batchTiming });
  const services: Services = { messages: options.messages, background, runner, batchWorker, ...(options.directory ? { directory: options.directory } : {}) };
  const dispatcher = createDispatcher({ db, config, clock, services, commands: options.commands });
  return {
    config,
    db,
    clock,
    dispatcher,
    services,
    background,
    batchWorker,
    directory: options.directory,
    async close() {
      await batchWorker.stop();
      await background.settle(10_000);
      if (ownsDb) await db.close();
    },
  };
}
