import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One run request the engine received. */
interface EngineRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The bearer token, without "Bearer ". */
  token: string;
}

/** How the engine answers one request: a status and body, after a delay, or never (until released). */
interface EngineAnswer {
  status?: number;
  body?: unknown;
  delayMs?: number;
  /** Hold the answer until release() is called (or the client gives up). */
  hold?: boolean;
}

/**
 * A local stand-in for the flow engine: records every run request, answers as told per request,
 * and counts how many requests it is working on at once.
 */
export class FlowEngine {
  readonly requests: EngineRequest[] = [];
  /** The most requests in flight at the same moment. */
  maxInFlight = 0;
  private inFlight = 0;
  private held: Array<() => void> = [];
  private server?: Server;
  /** Decides the answer for a request; the default says 202 with no body (the run goes on). */
  answer: (request: EngineRequest) => EngineAnswer = () => ({ status: 202 });
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const request: EngineRequest = {
          path: req.url ?? "/",
          headers: req.headers,
          body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
          token: String(req.headers.authorization ?? "").replace(/^Bearer /, ""),
        };
        this.requests.push(request);
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const answer = this.answer(request);
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          this.inFlight -= 1;
          if (res.destroyed) return;
          reply(res, answer);
        };
        res.on("close", () => {
          if (!done) {
            done = true;
            this.inFlight -= 1;
          }
        });
        if (answer.hold) this.held.push(finish);
        else setTimeout(finish, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  /** How many requests are waiting for their answer right now. */
  get pending(): number {
    return this.inFlight;
  }

  /** Answers every held request. */
  release(): void {
    const held = this.held.splice(0);
    for (const finish of held) finish();
  }

  /** Forgets what it received and how it answered, for the next test. */
  reset(): void {
    this.release();
    this.requests.length = 0;
    this.maxInFlight = 0;
    this.answer = () => ({ status: 202 });
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

function reply(res: ServerResponse, answer: EngineAnswer): void {
  const body = answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status ?? 202, { "content-type": "application/json" }).end(body);
}

/** A local port with nothing listening on it: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
