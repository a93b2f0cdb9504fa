import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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
}

/** One route of the HTTP API. `path` may hold `:name` parameters. */
export interface Route {
  method: "GET" | "POST";
  path: string;
  handle(request: ApiRequest): Promise<ApiResponse>;
}

/** The largest JSON body accepted (a batch of 1000 run events fits many times over). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Answers `{"error": CODE, "message": TEXT}` with a 4xx status for an error meant for the caller. */
export function errorResponse(error: unknown): ApiResponse {
  const known = asEmbedopsError(error);
  const status: Record<string, number> = {
    [ErrorCode.BadInput]: 400,
    [ErrorCode.Unauthorized]: 401,
    [ErrorCode.Denied]: 403,
    [ErrorCode.NotFound]: 404,
    [ErrorCode.Conflict]: 409,
    [ErrorCode.Internal]: 500,
  };
  const code = typeof known.details?.apiCode === "string" ? known.details.apiCode : known.code;
  return { status: status[known.code] ?? 400, body: { error: code, message: known.message } };
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

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new EmbedopsError(ErrorCode.BadInput, `The body is larger than ${MAX_BODY_BYTES} bytes.`, { apiCode: "body_too_large" });
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new EmbedopsError(ErrorCode.BadInput, "The body is not valid JSON.", { apiCode: "invalid_json" });
  }
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (response.text !== undefined) {
    res.writeHead(response.status, { "content-type": response.contentType ?? "text/plain; charset=utf-8" });
    res.end(response.text);
    return;
  }
  res.writeHead(response.status, { "content-type": "application/json; charset=utf-8" });
  res.end(response.body === undefined ? "" : JSON.stringify(response.body));
}

/** The one HTTP server: the API routes, and Slack's events endpoint when Bolt runs over HTTP. */
export interface HttpServer {
  server: Server;
  /** Starts listening; resolves with the port actually bound (PORT=0 picks a free one). */
  listen(port: number): Promise<number>;
  /** Stops accepting connections and waits for requests in flight. */
  close(): Promise<void>;
}

/** Builds the HTTP server over the routes, handing `/slack/events` to Bolt's listener when given. */
export function createHttpServer(routes: Route[], slackListener?: RequestListener): HttpServer {
  const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = (req.method ?? "GET").toUpperCase();
    if (slackListener && url.pathname === "/slack/events") {
      res.once("finish", () => apiRequestsTotal.inc({ route: "POST /slack/events", status: String(res.statusCode) }));
      slackListener(req, res);
      return;
    }
    let routeLabel = "unmatched";
    let response: ApiResponse;
    try {
      let found: { route: Route; params: Record<string, string> } | undefined;
      let pathKnown = false;
      for (const route of routes) {
        const params = match(route.path, url.pathname);
        if (!params) continue;
        pathKnown = true;
        if (route.method === method) {
          found = { route, params };
          break;
        }
      }
      if (!found) {
        response = pathKnown
          ? { status: 405, body: { error: "method_not_allowed", message: `${method} is not accepted on ${url.pathname}.` } }
          : { status: 404, body: { error: "not_found", message: `No route ${method} ${url.pathname}.` } };
      } else {
        routeLabel = `${found.route.method} ${found.route.path}`;
        const body = method === "POST" ? await readBody(req) : undefined;
        response = await found.route.handle({ method, path: url.pathname, params: found.params, headers: req.headers, body });
      }
    } catch (error) {
      response = errorResponse(error);
      if (response.status >= 500) log.error({ err: error, route: routeLabel }, "API request failed");
    }
    apiRequestsTotal.inc({ route: routeLabel, status: String(response.status) });
    send(res, response);
  };
  // Every log line written while answering carries the caller's X-Request-Id, or one made up here.
  const server = createServer((req, res) => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    void withLogContext({ requestId }, () => handleRequest(req, res));
  });
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
