import { z } from "zod";
import type { IntegrationRecord } from "../data/records.ts";
import { parseEmbedState } from "../domain/embed-state.ts";
import { signJwt } from "../domain/jwt.ts";

/** How long the run request's JWT is valid. */
const RUN_TOKEN_TTL_SECONDS = 5 * 60;

/** The most of the engine's answer we read: enough for a status and an error text. */
const MAX_ANSWER_CHARS = 64 * 1024;

/** The body of the run request, as the contract fixes it. */
interface RunRequestBody {
  run_id: string;
  integration_id: string;
  embed_user_id: string;
  embed_account_id: string;
  embed_state: unknown;
  requested_by: string;
  trigger: "manual";
}

/** Everything one run request needs. */
interface RunRequest {
  runId: string;
  integration: Pick<IntegrationRecord, "id" | "embedUserId" | "embedAccountId" | "embedState">;
  /** The integration's trigger_url, else its flow's; undefined when neither has one. */
  triggerUrl: string | undefined;
  /** Who asked: an operator's email, or `job:NAME`. */
  requestedBy: string;
  /** RUNNER_SIGNING_SECRET. */
  secret: string;
  timeoutMs: number;
  /** The bot's now, for the token's iat and exp. */
  now: Date;
}

/** What the flow engine's answer means for the run. */
export type RunRequestOutcome =
  | { status: "running" | "success"; error?: undefined }
  | { status: "error"; error: string };

/** The engine's 2xx body, when it says how the run ended. */
const engineAnswer = z.object({
  status: z.string().optional(),
  error: z.string().nullish(),
  message: z.string().nullish(),
});

/** The body the contract fixes for a run request. */
function runRequestBody(request: Pick<RunRequest, "runId" | "integration" | "requestedBy">): RunRequestBody {
  return {
    run_id: request.runId,
    integration_id: request.integration.id,
    embed_user_id: request.integration.embedUserId,
    embed_account_id: request.integration.embedAccountId,
    embed_state: parseEmbedState(request.integration.embedState),
    requested_by: request.requestedBy,
    trigger: "manual",
  };
}

/** Signs the run request's JWT with RUNNER_SIGNING_SECRET, jti = the run id, five minutes valid. */
async function signRunToken(request: Pick<RunRequest, "runId" | "integration" | "requestedBy" | "secret" | "now">): Promise<string> {
  return signJwt(
    request.secret,
    {
      integration_id: request.integration.id,
      embed_user_id: request.integration.embedUserId,
      embed_account_id: request.integration.embedAccountId,
      requested_by: request.requestedBy,
    },
    { now: request.now, expiresInSeconds: RUN_TOKEN_TTL_SECONDS, jti: request.runId },
  );
}

/** The host of a URL, for reasons and logs: a trigger URL's path or query may carry a token. */
function urlHost(url: URL): string {
  return url.host;
}

/** Checks a trigger URL; returns the parsed URL or why it cannot be used. */
function parseTriggerUrl(raw: string | undefined): URL | string {
  if (!raw) return "neither the integration nor its Embed Flow has a trigger URL";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "its trigger URL is not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `its trigger URL is not http(s) (${url.protocol.replace(/:$/, "")})`;
  return url;
}

/** Why fetch failed, in words: refused, not found, reset, timed out. */
function transportReason(error: unknown, host: string, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `the flow engine at ${host} did not answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const code = cause?.code;
  if (cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError")) {
    return `the flow engine at ${host} did not answer within ${timeoutMs} ms`;
  }
  switch (code) {
    case "ECONNREFUSED":
      return `the flow engine at ${host} refused the connection`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the flow engine's host ${host} was not found`;
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return `the flow engine at ${host} closed the connection`;
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return `the flow engine at ${host} did not answer within ${timeoutMs} ms`;
    default:
      return `the run request to ${host} failed (${code ?? (error instanceof Error ? error.message : String(error))})`;
  }
}

/** A short, single-line excerpt of the engine's error answer. */
function answerExcerpt(text: string): string {
  let detail = text;
  try {
    const parsed = engineAnswer.safeParse(JSON.parse(text));
    if (parsed.success) detail = parsed.data.error ?? parsed.data.message ?? text;
  } catch {
    // not JSON: the text itself
  }
  const single = detail.replace(/\s+/g, " ").trim();
  return single.length > 200 ? `${single.slice(0, 199)}…` : single;
}

/**
 * Sends one run request to the flow engine and says what its answer means: a 2xx is `running`
 * (or the run's end, when the body says so); anything else, a refused connection or the time limit is `error`.
 * Never throws.
 */
export async function sendRunRequest(request: RunRequest): Promise<RunRequestOutcome> {
  const url = parseTriggerUrl(request.triggerUrl);
  if (typeof url === "string") return { status: "error", error: `Not sent: ${url}.` };
  const host = urlHost(url);
  try {
    const token = await signRunToken(request);
    const answer = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(runRequestBody(request)),
      // A redirect would carry the signed token to another place: it counts as a refusal.
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const text = (await answer.text()).slice(0, MAX_ANSWER_CHARS);
    if (answer.status < 200 || answer.status > 299) {
      const excerpt = answerExcerpt(text);
      return { status: "error", error: `The flow engine answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}${excerpt ? `: ${excerpt}` : ""}` };
    }
    let body: unknown;
    try {
      body = text.trim() ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const parsed = engineAnswer.safeParse(body);
    if (parsed.success && parsed.data.status === "success") return { status: "success" };
    if (parsed.success && parsed.data.status === "error") {
      return { status: "error", error: parsed.data.error?.trim() || parsed.data.message?.trim() || "The flow engine reported the run as failed" };
    }
    return { status: "running" };
  } catch (error) {
    return { status: "error", error: `Not run: ${transportReason(error, host, request.timeoutMs)}.` };
  }
}
