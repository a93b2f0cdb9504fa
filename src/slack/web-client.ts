import { LogLevel, WebClient, WebClientEvent } from "@slack/web-api";
import type { Config } from "../config.ts";
import { log } from "../log.ts";
import { slackApiErrorsTotal } from "../metrics.ts";
import type { ChannelMessages, MessageRef, Reply } from "../slash/command.ts";
import { toBlockKit } from "./block-kit.ts";
import type { Doc } from "./document.ts";

/** Web API client options shared by Bolt's client and ours: SLACK_API_URL, retries on 429 and 5xx. */
export function webClientOptions(config: Config) {
  return {
    ...(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl } : {}),
    logLevel: LogLevel.ERROR,
    // 429s wait for Retry-After and are retried; 5xx and network errors back off and retry.
    rejectRateLimitedCalls: false,
    retryConfig: { retries: 4, factor: 2, minTimeout: 200, maxTimeout: 5_000, randomize: true },
  };
}

/** A Web API client for the bot token, for jobs and messages outside a Bolt listener. */
export function createWebClient(config: Config): WebClient {
  const client = new WebClient(config.slackBotToken, webClientOptions(config));
  client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, details: { method?: string }) => {
    slackApiErrorsTotal.inc({ method: details?.method ?? "unknown", kind: "rate_limited" });
    log.warn({ retryAfter, method: details?.method }, "Slack rate limit: waiting before retrying");
  });
  return client;
}

/** Channel messages over the Web API: chat.postMessage, chat.update, and response_url posts. */
export function webChannelMessages(client: WebClient): ChannelMessages {
  return {
    async post(channel: string, doc: Doc, options?: { threadTs?: string }): Promise<MessageRef> {
      const rendered = toBlockKit(doc);
      const answer = await client.chat.postMessage({ channel, text: rendered.text, blocks: rendered.blocks, ...(options?.threadTs ? { thread_ts: options.threadTs } : {}), unfurl_links: false });
      return { channel: answer.channel ?? channel, ts: answer.ts! };
    },
    async update(ref: MessageRef, doc: Doc): Promise<void> {
      const rendered = toBlockKit(doc);
      await client.chat.update({ channel: ref.channel, ts: ref.ts, text: rendered.text, blocks: rendered.blocks });
    },
    async respond(responseUrl: string, reply: Reply): Promise<void> {
      await postToResponseUrl(responseUrl, reply);
    },
  };
}

/** Sends a reply through a response_url, as Slack documents it. */
export async function postToResponseUrl(responseUrl: string, reply: Reply): Promise<void> {
  const rendered = toBlockKit(reply.doc);
  const body = {
    response_type: reply.visibility,
    text: rendered.text,
    blocks: rendered.blocks,
    ...(reply.replaceOriginal ? { replace_original: true } : { replace_original: false }),
  };
  const answer = await fetch(responseUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!answer.ok) {
    slackApiErrorsTotal.inc({ method: "response_url", kind: String(answer.status) });
    throw new Error(`response_url answered ${answer.status}`);
  }
}
