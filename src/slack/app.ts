import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { App, HTTPModuleFunctions, HTTPReceiver, LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import { typedCountProblem } from "../domain/bulk.ts";
import { actorLabel } from "../domain/permissions.ts";
import type { Runtime } from "../runtime.ts";
import type { RequestOrigin } from "../slash/command.ts";
import type { Reply } from "../reply/messages.ts";
import { addLogContext, log, withLogContext } from "../log.ts";
import { publishAppHome } from "./app-home.ts";
import { ACTION_PREFIX, toBlockKit } from "./block-kit.ts";
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
  requestListener?: RequestListener;
  /** Socket Mode: connects; HTTP mode: nothing to do. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How far a request's timestamp may be from now, either way, as Slack documents (Bolt checks only the past). */
const SLACK_TIMESTAMP_WINDOW_SECONDS = 5 * 60;

/**
 * Bolt's listener behind checks Bolt leaves out: a request stamped more than five minutes ahead is refused with
 * 401 before Bolt verifies the signature (which it does for the rest, stale requests included), and a body that is
 * not an object with 400. It expects the body already buffered as `rawBody` (the HTTP server does that).
 */
function refusingFutureTimestamps(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const timestamp = Number(req.headers["x-slack-request-timestamp"]);
    if (Number.isFinite(timestamp) && timestamp > Date.now() / 1000 + SLACK_TIMESTAMP_WINDOW_SECONDS) {
      log.warn({ timestamp }, "Slack request refused: its timestamp is more than five minutes ahead");
      res.writeHead(401, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ error: "invalid_signature", message: "The request's timestamp is more than five minutes ahead." }));
      return;
    }
    // A body Bolt parses to something other than an object (`null`, `payload=null`) makes it throw outside any handler.
    if (!isSlackBody(req)) {
      res.writeHead(400, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ error: "invalid_body", message: "The body is not a Slack request." }));
      return;
    }
    listener(req, res);
  };
}

/** True when the buffered body parses, as Bolt parses it, to an object. */
function isSlackBody(req: IncomingMessage): boolean {
  const buffered = req as IncomingMessage & { rawBody?: Buffer };
  if (!buffered.rawBody) return true;
  try {
    const body: unknown = HTTPModuleFunctions.parseHTTPRequestBody(buffered as Parameters<typeof HTTPModuleFunctions.parseHTTPRequestBody>[0]);
    return typeof body === "object" && body !== null;
  } catch {
    // Bolt answers an unparsable body with 400 itself.
    return true;
  }
}

/** Hands a reply to Slack through the request's response_url. */
async function deliver(responseUrl: string | undefined, reply: Reply): Promise<void> {
  if (!responseUrl) {
    log.warn("a Slack request came without a response_url; the reply is dropped");
    return;
  }
  await postToResponseUrl(responseUrl, reply);
}

/** The callback id of the typed-confirmation dialog. */
const TYPED_CONFIRMATION_CALLBACK = `${ACTION_PREFIX}typed-confirmation`;

/** What the dialog carries to its submission (Slack keeps it; the person cannot change it). */
interface DialogState {
  command: string;
  expected: number;
  channelId?: string;
  responseUrl?: string;
}

/** Opens the dialog a reply asks for, with the trigger id of the request it answers; false when Slack refused. */
async function openDialog(client: InstanceType<typeof App>["client"], triggerId: string, dialog: NonNullable<Reply["dialog"]>, state: DialogState): Promise<boolean> {
  try {
    await client.views.open({
      trigger_id: triggerId,
      view: {
        type: "modal",
        callback_id: TYPED_CONFIRMATION_CALLBACK,
        private_metadata: JSON.stringify(state),
        title: { type: "plain_text", text: dialog.title.slice(0, 24) },
        submit: { type: "plain_text", text: "Confirm" },
        close: { type: "plain_text", text: "Cancel" },
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: dialog.prompt } },
          { type: "input", block_id: "count", label: { type: "plain_text", text: "Number of integrations" }, element: { type: "plain_text_input", action_id: "count" } },
        ],
      },
    });
    return true;
  } catch (error) {
    log.warn({ err: error }, "could not open a dialog; the answer says what to type instead");
    return false;
  }
}

/**
 * Builds the Bolt app: the slash command and every embedops button go through the dispatcher,
 * as the Slack user who sent them, resolved afresh for each request.
 */
export async function createSlackApp(runtime: Runtime, directory: SlackDirectory, mode: "http" | "socket"): Promise<SlackApp> {
  // Stays long: Bolt's listeners are registered on one app and share its receiver and identity; each is a few lines.
  const { config } = runtime;
  const logger = boltLogger();
  const clientOptions = webClientOptions(config);
  let receiver: InstanceType<typeof HTTPReceiver> | undefined;
  let app: InstanceType<typeof App>;
  // The bot's own ids come from auth.test in the background: a Slack that is slow or down at start-up must not keep
  // the HTTP server (and /healthz) from coming up. Until they are known, requests carry the token alone.
  const botToken = config.slackBotToken!;
  let identity: { botUserId?: string; botId?: string } = {};
  const authorize = async () => ({ botToken, ...identity });
  if (mode === "http") {
    receiver = new HTTPReceiver({
      signingSecret: config.slackSigningSecret!,
      endpoints: "/slack/events",
      logger,
      // Ack first, work after: Slack wants an answer within 3 seconds.
      processBeforeResponse: false,
    });
    app = new App({ authorize, receiver, logger, clientOptions, deferInitialization: true });
  } else {
    app = new App({ authorize, appToken: config.slackAppToken, socketMode: true, logger, clientOptions, deferInitialization: true });
  }

  const run = async (text: string, slackUserId: string, origin: RequestOrigin): Promise<Reply> => {
    const actor = await resolveSlackActor(runtime.db, directory, slackUserId);
    addLogContext({ actor: actorLabel(actor) });
    const reply = await runtime.dispatcher.handle(text, actor, origin);
    log.info({ command: text.trim().split(/\s+/)[0] || "help", channelId: origin.channelId, fromButton: origin.fromButton ?? false }, "Slack request handled");
    return reply;
  };
  // Each request is worked on after its ack; holding it lets a shutdown finish it. Its log lines carry the trigger id.
  const handled = (triggerId: string | undefined, slackUserId: string, work: () => Promise<void>) =>
    runtime.background.hold(() => withLogContext({ requestId: triggerId ?? randomUUID(), actor: `slack:${slackUserId}` }, work));

  app.command(config.slashCommand, async ({ command, ack }) => {
    await ack();
    await handled(command.trigger_id, command.user_id, async () => {
      const reply = await run(command.text ?? "", command.user_id, {
        transport: "slack",
        channelId: command.channel_id,
        responseUrl: command.response_url,
        triggerId: command.trigger_id,
      });
      if (reply.dialog && (await openDialog(app.client, command.trigger_id, reply.dialog, { command: reply.dialog.command, expected: reply.dialog.expected, channelId: command.channel_id, responseUrl: command.response_url }))) return;
      await deliver(command.response_url, reply);
    });
  });

  app.action(new RegExp(`^${ACTION_PREFIX}`), async ({ ack, body, action, client }) => {
    await ack();
    if (body.type !== "block_actions" || action.type !== "button") return;
    await handled(body.trigger_id, body.user.id, async () => {
      const reply = await run(action.value ?? "", body.user.id, {
        transport: "slack",
        channelId: body.channel?.id,
        responseUrl: body.response_url,
        fromButton: true,
        triggerId: body.trigger_id,
      });
      if (body.view?.type === "home") {
        // A click on the App Home has no response_url: answer in the app's messages with the person, then refresh the Home.
        const rendered = toBlockKit(reply.doc);
        await client.chat.postMessage({ channel: body.user.id, text: rendered.text, blocks: rendered.blocks, unfurl_links: false });
        await publishAppHome(runtime, directory, client, body.user.id);
        return;
      }
      const dialogState = { channelId: body.channel?.id, responseUrl: body.response_url };
      if (reply.dialog && (await openDialog(client, body.trigger_id, reply.dialog, { command: reply.dialog.command, expected: reply.dialog.expected, ...dialogState }))) return;
      await deliver(body.response_url, reply);
    });
  });

  // The typed count is checked before the dialog closes; the command checks it again, as the person who typed it.
  app.view(TYPED_CONFIRMATION_CALLBACK, async ({ ack, body, view }) => {
    const typed = view.state.values.count?.count?.value ?? "";
    let state: DialogState;
    try {
      state = JSON.parse(view.private_metadata) as DialogState;
    } catch {
      await ack();
      return;
    }
    const problem = typedCountProblem(state.expected, typed);
    if (problem) {
      await ack({ response_action: "errors", errors: { count: problem } });
      return;
    }
    await ack();
    const triggerId = body.type === "view_submission" ? body.trigger_id : undefined;
    await handled(triggerId, body.user.id, async () => {
      const reply = await run(`${state.command} ${typed.trim().replace(/[^0-9]/g, "")}`, body.user.id, {
        transport: "slack",
        channelId: state.channelId,
        responseUrl: state.responseUrl,
        fromButton: true,
        triggerId,
      });
      await deliver(state.responseUrl, reply);
    });
  });

  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    await handled(undefined, event.user, () => publishAppHome(runtime, directory, client, event.user));
  });

  // Interactivity embedops has no handler for (a shortcut, a view, someone else's button, an options request) is
  // acknowledged at once: left alone, Bolt answers 404 after three seconds and Slack shows the person an error.
  // embedops's own action and callback ids start with ACTION_PREFIX, so a handler added for one is never acked twice.
  const notOurs = new RegExp(`^(?!${ACTION_PREFIX})`);
  app.action(notOurs, async ({ ack }) => ack());
  app.shortcut(notOurs, async ({ ack }) => ack());
  app.view(notOurs, async ({ ack }) => ack());
  app.view({ type: "view_closed", callback_id: notOurs }, async ({ ack }) => ack());
  app.options(notOurs, async ({ ack }) => ack({ options: [] }));

  app.error(async (error) => {
    log.error({ err: error }, "Slack listener failed");
  });

  await app.init();
  void app.client.auth.test({ token: botToken }).then(
    (result) => {
      identity = { botUserId: result.user_id, botId: result.bot_id };
      log.info({ botUserId: result.user_id, team: result.team }, "Slack accepted the bot token");
    },
    (error: unknown) => log.error({ err: error }, "Slack did not confirm the bot token (auth.test); check SLACK_BOT_TOKEN and SLACK_API_URL"),
  );
  return {
    app,
    requestListener: receiver ? refusingFutureTimestamps(receiver.requestListener) : undefined,
    async start() {
      if (mode === "socket") await app.start();
    },
    async stop() {
      if (mode === "socket") await app.stop();
    },
  };
}
