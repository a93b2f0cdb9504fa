import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { asEmbedopsError, EmbedopsError, ErrorCode } from "../errors.ts";
import { log, withLogContext } from "../log.ts";
import { apiRequestsTotal } from "../metrics.ts";

/** A parsed HTTP API request. */
export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The JSON body (undefined when there is none). */
  body: unknown;
}

/** An HTTP API answer: JSON by default, or text with its content type. */
export interface ApiResponse {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  /** Further headers (a 405's `Allow`). */
  headers?: Record<string, string>;
}

/** One route of the HTTP API. `path` may hold `:name` parameters. */
export interface Route {
  method: "GET" | "POST";
  path: string;
  handle(request: ApiRequest): Promise<ApiResponse>;
}

/** The largest body accepted on any path (a batch of 1000 run events fits many times over); more gets 413. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The largest request line plus headers accepted; more gets 431. */
const MAX_HEADER_BYTES = 16 * 1024;

/** How long a client may take to send its headers, and its whole request; a slow or half-sent request then ends. */
const HEADERS_TIMEOUT_MS = 10_000;
/** See HEADERS_TIMEOUT_MS. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Answers `{"error": CODE, "message": TEXT}` with the status its code maps to (a failing upstream is 502). */
function errorResponse(error: unknown): ApiResponse {
  const known = asEmbedopsError(error);
  const status: Record<string, number> = {
    [ErrorCode.BadInput]: 400,
    [ErrorCode.Unauthorized]: 401,
    [ErrorCode.Denied]: 403,
    [ErrorCode.NotFound]: 404,
    [ErrorCode.Conflict]: 409,
    [ErrorCode.Internal]: 500,
    [ErrorCode.Upstream]: 502,
  };
  const code = typeof known.details?.apiCode === "string" ? known.details.apiCode : known.code;
  const given = typeof known.details?.httpStatus === "number" ? known.details.httpStatus : undefined;
  return { status: given ?? status[known.code] ?? 400, body: { error: code, message: known.message } };
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part.startsWith(":")) {
      try {
        params[part.slice(1)] = decodeURIComponent(got[i]!);
      } catch {
        return undefined;
      }
      if (!params[part.slice(1)]) return undefined;
    } else if (part !== got[i]) return undefined;
  }
  return params;
}

/** The 413 error of a body over MAX_BODY_BYTES. */
function bodyTooLarge(): EmbedopsError {
  return new EmbedopsError(ErrorCode.BadInput, `The body is larger than ${MAX_BODY_BYTES} bytes.`, { apiCode: "body_too_large", httpStatus: 413 });
}

/** Reads the whole body, refusing (413) one announced or grown over MAX_BODY_BYTES. */
async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) throw bodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw bodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const raw = await readRawBody(req);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new EmbedopsError(ErrorCode.BadInput, "The body is not valid JSON.", { apiCode: "invalid_json" });
  }
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  // A refused body is not read to its end: the connection closes after the answer instead of carrying the rest.
  const extra = { ...response.headers, ...(response.status === 413 ? { connection: "close" } : {}) };
  if (response.text !== undefined) {
    res.writeHead(response.status, { "content-type": response.contentType ?? "text/plain; charset=utf-8", ...extra });
    res.end(response.text);
    return;
  }
  res.writeHead(response.status, { "content-type": "application/json; charset=utf-8", ...extra });
  res.end(response.body === undefined ? "" : JSON.stringify(response.body));
}

/** The raw HTTP answer to a request Node could not parse (bad bytes, headers over MAX_HEADER_BYTES, a timeout). */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const [status, reason, code, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large", "headers_too_large", `The request line and headers are larger than ${MAX_HEADER_BYTES} bytes.`]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "request_timeout", "The request was not sent in time."]
        : [400, "Bad Request", "bad_request", "The request is not valid HTTP."];
  // A request whose answer has begun, or a connection the client already dropped, just ends.
  if (!socket.writable || (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: code, message });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** The one HTTP server: the API routes, and Slack's events endpoint when Bolt runs over HTTP. */
export interface HttpServer {
  server: Server;
  /** Starts listening; resolves with the port actually bound (PORT=0 picks a free one). */
  listen(port: number): Promise<number>;
  /** Stops accepting connections and waits for requests in flight. */
  close(): Promise<void>;
}

/** The path Slack posts to in HTTP mode. */
const SLACK_EVENTS_PATH = "/slack/events";

/**
 * Builds the HTTP server over the routes, handing POST /slack/events to Bolt's listener when given (with the body
 * already read, at most MAX_BODY_BYTES). Whatever one request does (a bad path, a bad body, a listener that throws),
 * it gets an answer and the server goes on.
 */
export function createHttpServer(routes: Route[], slackListener?: RequestListener): HttpServer {
  // Stays long: one request's whole life (route, size limit, coded errors, metrics, close) is read best in one place.
  const handleSlack = async (req: IncomingMessage, res: ServerResponse, method: string) => {
    res.once("finish", () => apiRequestsTotal.inc({ route: `${method === "POST" ? "POST" : "other"} ${SLACK_EVENTS_PATH}`, status: String(res.statusCode) }));
    if (method !== "POST") {
      send(res, { status: 405, headers: { allow: "POST" }, body: { error: "method_not_allowed", message: `${method} is not accepted on ${SLACK_EVENTS_PATH}; Slack posts to it.` } });
      return;
    }
    // Bolt reads a body already buffered as rawBody instead of the stream: the size limit holds for Slack's path too.
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = await readRawBody(req);
    await slackListener!(req, res);
  };
  const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
    let routeLabel = "unmatched";
    let response: ApiResponse;
    const method = (req.method ?? "GET").toUpperCase();
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (slackListener && url.pathname === SLACK_EVENTS_PATH) {
        routeLabel = SLACK_EVENTS_PATH;
        await handleSlack(req, res, method);
        return;
      }
      let found: { route: Route; params: Record<string, string> } | undefined;
      const allowed: string[] = [];
      for (const route of routes) {
        const params = match(route.path, url.pathname);
        if (!params) continue;
        allowed.push(route.method);
        if (route.method === method) {
          found = { route, params };
          break;
        }
      }
      if (!found) {
        response = allowed.length
          ? { status: 405, headers: { allow: allowed.join(", ") }, body: { error: "method_not_allowed", message: `${method} is not accepted on ${url.pathname}.` } }
          : { status: 404, body: { error: "not_found", message: `No route ${method} ${url.pathname}.` } };
      } else {
        routeLabel = `${found.route.method} ${found.route.path}`;
        const body = method === "POST" ? await readBody(req) : undefined;
        response = await found.route.handle({ method, path: url.pathname, params: found.params, headers: req.headers, body });
      }
    } catch (error) {
      response = errorResponse(error);
      if (response.status >= 500) log.error({ err: error, route: routeLabel }, "HTTP request failed");
      if (routeLabel === SLACK_EVENTS_PATH && res.headersSent) return;
    }
    if (routeLabel !== SLACK_EVENTS_PATH) apiRequestsTotal.inc({ route: routeLabel, status: String(response.status) });
    send(res, response);
  };
  // Every log line written while answering carries the caller's X-Request-Id, or one made up here.
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    withLogContext({ requestId }, () =>
      handleRequest(req, res).catch((error: unknown) => {
        // Only a failure while answering gets here: the request ends, the server goes on.
        log.error({ err: error }, "HTTP request failed while answering");
        if (!res.headersSent) send(res, { status: 500, body: { error: "internal", message: "The request failed; see the bot's log." } });
        else res.destroy();
      }),
    );
  });
  server.on("clientError", answerClientError);
  return {
    server,
    listen: (port) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
