import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import type { Runtime } from "../runtime.ts";
import type { Reply, RequestOrigin } from "../slash/command.ts";
import { log } from "../log.ts";
import { ACTION_PREFIX } from "./block-kit.ts";
import { resolveSlackActor, type SlackDirectory } from "./identity.ts";
import { postToResponseUrl, webClientOptions } from "./web-client.ts";

/** Bolt's logger interface, written to our structured log. */
function boltLogger(): BoltLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...msg) => log.debug({ source: "bolt" }, msg.map(String).join(" ")),
    info: (...msg) => log.info({ source: "bolt" }, msg.map(String).join(" ")),
    warn: (...msg) => log.warn({ source: "bolt" }, msg.map(String).join(" ")),
    error: (...msg) => log.error({ source: "bolt" }, msg.map(String).join(" ")),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** The Bolt app over HTTP (its request listener mounted on our server) or Socket Mode. */
export interface SlackApp {
  app: InstanceType<typeof App>;
  /** HTTP mode: the listener for POST /slack/events. */
  requestListener?: InstanceType<typeof HTTPReceiver>["requestListener"];
  /** Socket Mode: connects; HTTP mode: nothing to do. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Hands a reply to Slack through the request's response_url. */
async function deliver(responseUrl: string | undefined, reply: Reply): Promise<void> {
  if (!responseUrl) {
    log.warn("a Slack request came without a response_url; the reply is dropped");
    return;
  }
  await postToResponseUrl(responseUrl, reply);
}

/**
 * Builds the Bolt app: the slash command and every embedops button go through the dispatcher,
 * as the Slack user who sent them, resolved afresh for each request.
 */
export async function createSlackApp(runtime: Runtime, directory: SlackDirectory, mode: "http" | "socket"): Promise<SlackApp> {
  const { config } = runtime;
  const logger = boltLogger();
  const clientOptions = webClientOptions(config);
  let receiver: InstanceType<typeof HTTPReceiver> | undefined;
  let app: InstanceType<typeof App>;
  if (mode === "http") {
    receiver = new HTTPReceiver({
      signingSecret: config.slackSigningSecret!,
      endpoints: "/slack/events",
      logger,
      // Ack first, work after: Slack wants an answer within 3 seconds.
      processBeforeResponse: false,
    });
    app = new App({ token: config.slackBotToken, receiver, logger, clientOptions, deferInitialization: true });
  } else {
    app = new App({ token: config.slackBotToken, appToken: config.slackAppToken, socketMode: true, logger, clientOptions, deferInitialization: true });
  }

  const run = async (text: string, slackUserId: string, origin: RequestOrigin): Promise<Reply> => {
    const actor = await resolveSlackActor(runtime.db, directory, slackUserId);
    return runtime.dispatcher.handle(text, actor, origin);
  };

  app.command(config.slashCommand, async ({ command, ack }) => {
    await ack();
    const reply = await run(command.text ?? "", command.user_id, {
      transport: "slack",
      channelId: command.channel_id,
      responseUrl: command.response_url,
      triggerId: command.trigger_id,
    });
    await deliver(command.response_url, reply);
  });

  app.action(new RegExp(`^${ACTION_PREFIX}`), async ({ ack, body, action }) => {
    await ack();
    if (body.type !== "block_actions" || action.type !== "button") return;
    const reply = await run(action.value ?? "", body.user.id, {
      transport: "slack",
      channelId: body.channel?.id,
      responseUrl: body.response_url,
      fromButton: true,
      triggerId: body.trigger_id,
    });
    await deliver(body.response_url, reply);
  });

  app.error(async (error) => {
    log.error({ err: error }, "Slack listener failed");
  });

  await app.init();
  return {
    app,
    requestListener: receiver?.requestListener,
    async start() {
      if (mode === "socket") await app.start();
    },
    async stop() {
      if (mode === "socket") await app.stop();
    },
  };
}
