import type { Readable, Writable } from "node:stream";
import { startSchedules, type Schedules } from "../jobs/schedule.ts";
import { apiRoutes } from "./api/index.ts";
import { createHttpServer, type HttpServer } from "./api/http.ts";
import type { Clock } from "./clock.ts";
import { ConfigError, missingSlackCredentials, slackMode, type Config } from "./config.ts";
import { consoleMessages, runConsole } from "./console.ts";
import { seedDemoIfEmpty } from "./data/seed.ts";
import { log } from "./log.ts";
import { openRuntime, type Runtime } from "./runtime.ts";
import { createSlackApp, type SlackApp } from "./slack/app.ts";
import { webDirectory } from "./slack/identity.ts";
import { createWebClient, webChannelMessages } from "./slack/web-client.ts";

/** A running bot: its runtime, the port its HTTP server bound, and how to stop it. */
export interface BotHandle {
  runtime: Runtime;
  port: number;
  stop(): Promise<void>;
}

/** Starts the bot connected to Slack (HTTP or Socket Mode): HTTP server, Bolt app, schedules. */
export async function startBot(config: Config, options: { clock?: Clock } = {}): Promise<BotHandle> {
  const mode = slackMode(config);
  if (mode === "console") {
    throw new ConfigError(missingSlackCredentials(config)[0] ?? "SLACK_BOT_TOKEN", `Slack credentials are missing: ${missingSlackCredentials(config).join(", ")}`);
  }
  const client = createWebClient(config);
  const directory = webDirectory(client, options.clock ?? { now: () => new Date() });
  const messages = webChannelMessages(client);
  const runtime = await openRuntime(config, { clock: options.clock, messages, directory });
  let slack: SlackApp | undefined;
  let http: HttpServer | undefined;
  let schedules: Schedules | undefined;
  try {
    slack = await createSlackApp(runtime, directory, mode);
    http = createHttpServer(apiRoutes(runtime), slack.requestListener);
    const port = await http.listen(config.port);
    await slack.start();
    schedules = startSchedules(runtime, messages);
    log.info({ mode, port }, "embedops is up");
    let stopped = false;
    return {
      runtime,
      port,
      async stop() {
        if (stopped) return;
        stopped = true;
        await schedules?.stop();
        await slack?.stop();
        await http?.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await schedules?.stop();
    await http?.close().catch(() => undefined);
    await runtime.close();
    throw error;
  }
}

/** Runs the local console on the configured database (demo data when empty), with schedules printing. */
export async function startConsole(config: Config, options: { as?: string; input: Readable; output: Writable; interactive?: boolean; clock?: Clock }): Promise<void> {
  const messages = consoleMessages(options.output, config.slashCommand);
  const runtime = await openRuntime(config, { clock: options.clock, messages });
  let schedules: Schedules | undefined;
  try {
    if (await seedDemoIfEmpty(runtime)) options.output.write("The database was empty: demo data loaded.\n\n");
    schedules = startSchedules(runtime, messages);
    await runConsole(runtime, options);
  } finally {
    await schedules?.stop();
    await runtime.close();
  }
}
