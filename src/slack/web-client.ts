import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { LogLevel, WebClient, WebClientEvent } from "@slack/web-api";
import type { Config } from "../config.ts";
import { log } from "../log.ts";
import { slackApiErrorsTotal, slackApiRetriesTotal } from "../metrics.ts";
import type { ChannelMessages, FileUpload, MessageRef, Reply } from "../reply/messages.ts";
import { toBlockKit } from "./block-kit.ts";
import type { Doc } from "../reply/document.ts";
import { reportSlackError, slackFailureError } from "./slack-errors.ts";

/** Why the Web API client is about to retry a call, from the error of the failed attempt. */
function retryReason(error: { code?: string; message?: string }): string {
  if (error.code === "slack_webapi_http_error") return "server_error";
  if (error.code === "slack_webapi_request_error") return "network";
  if (/rate limit/i.test(error.message ?? "")) return "rate_limited";
  return "other";
}

/**
 * Web API client options shared by Bolt's client and ours: SLACK_API_URL, and retries. A 429 waits for its
 * Retry-After and is retried; a 5xx answer or a network error backs off (0.5 s, 1 s, 2 s, 4 s, 8 s) and is
 * retried, five times at most (about 15 s), so a job posting to Slack rides out a short outage. Slack's own
 * errors (`channel_not_found`, …) are answers, not failures, and are never retried.
 */
export function webClientOptions(config: Config) {
  return {
    ...(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl } : {}),
    logLevel: LogLevel.ERROR,
    rejectRateLimitedCalls: false,
    // One call never hangs a request or a shutdown for long.
    timeout: 10_000,
    retryConfig: {
      retries: 5,
      factor: 2,
      minTimeout: 500,
      maxTimeout: 8_000,
      randomize: true,
      onFailedAttempt: (error: { code?: string; message?: string; retriesLeft?: number }) => {
        if ((error.retriesLeft ?? 0) > 0) slackApiRetriesTotal.inc({ reason: retryReason(error) });
      },
    },
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

/**
 * Channel messages over the Web API: chat.postMessage, chat.update, and response_url posts. A permanent refusal
 * (channel_not_found, not_in_channel, …) is logged once with what to do and thrown as an EmbedopsError carrying
 * that hint, so `embedops job …` and the job's log say how to fix it; other errors are counted and thrown as they are.
 */
export function webChannelMessages(client: WebClient): ChannelMessages {
  const refusal = (error: unknown, method: string, channel: string): unknown => {
    const failure = reportSlackError(error, { method, channel });
    return failure.permanent ? slackFailureError(failure, { method, channel }) : error;
  };
  return {
    async post(channel: string, doc: Doc, options?: { threadTs?: string }): Promise<MessageRef> {
      const rendered = toBlockKit(doc);
      try {
        const answer = await client.chat.postMessage({ channel, text: rendered.text, blocks: rendered.blocks, ...(options?.threadTs ? { thread_ts: options.threadTs } : {}), unfurl_links: false });
        return { channel: answer.channel ?? channel, ts: answer.ts! };
      } catch (error) {
        throw refusal(error, "chat.postMessage", channel);
      }
    },
    async update(ref: MessageRef, doc: Doc): Promise<void> {
      const rendered = toBlockKit(doc);
      try {
        await client.chat.update({ channel: ref.channel, ts: ref.ts, text: rendered.text, blocks: rendered.blocks });
      } catch (error) {
        throw refusal(error, "chat.update", ref.channel);
      }
    },
    async respond(responseUrl: string, reply: Reply): Promise<void> {
      await postToResponseUrl(responseUrl, reply);
    },
    uploadFile: (channel, file) => uploadFileStreamed(client, channel, file),
  };
}

/**
 * Shares a file from disk in a channel with the three steps of files.uploadV2 (getUploadURLExternal, the bytes to
 * the upload URL, completeUploadExternal), streaming the bytes: uploadV2 itself reads the whole file into memory.
 * A Slack refusal (not_in_channel, …) is logged with its hint and thrown as an error that shows the hint.
 */
async function uploadFileStreamed(client: WebClient, channel: string, file: FileUpload): Promise<{ fileId: string }> {
  const { size } = await stat(file.path);
  let method = "files.getUploadURLExternal";
  try {
    const target = await client.files.getUploadURLExternal({ filename: file.filename, length: size });
    if (!target.upload_url || !target.file_id) throw new Error("files.getUploadURLExternal answered without upload_url");
    method = "file upload";
    await sendBytes(target.upload_url, file.path, size);
    method = "files.completeUploadExternal";
    await client.files.completeUploadExternal({
      files: [{ id: target.file_id, title: file.title }],
      channel_id: channel,
      ...(file.initialComment ? { initial_comment: file.initialComment } : {}),
    });
    return { fileId: target.file_id };
  } catch (error) {
    const failure = reportSlackError(error, { method, channel });
    throw slackFailureError(failure, { method, channel });
  }
}

/** POSTs a file's bytes to Slack's upload URL as a stream; a 5xx or a dropped connection is tried again. */
async function sendBytes(url: string, path: string, size: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let reason = "server_error";
    try {
      const answer = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": String(size) },
        body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
        duplex: "half",
      } as RequestInit & { duplex: "half" });
      await answer.arrayBuffer();
      if (answer.ok) return;
      if (answer.status < 500 || attempt >= 3) throw Object.assign(new Error(`the upload URL answered ${answer.status}`), { code: "slack_webapi_http_error", statusCode: answer.status });
    } catch (error) {
      if ((error as { code?: string }).code === "slack_webapi_http_error" || attempt >= 3) throw error;
      reason = "network";
    }
    slackApiRetriesTotal.inc({ reason });
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
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
