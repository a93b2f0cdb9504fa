import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** No answer arrived on a response_url in time. */
export class AnswerTimeout extends Error {}

/** One answer posted to a response_url: when it arrived, and its JSON body. */
interface ResponsePost {
  at: bigint;
  body: Record<string, unknown>;
}

/**
 * A local stand-in for the Slack Web API and for response_urls, made for timing: a post to a response_url
 * resolves its waiter the moment its body is read (no polling), so "answer out" is measured to the millisecond.
 * Web API methods answer as Slack does for the few the bot calls; anything else answers ok:false.
 */
export class SlackStandIn {
  private server?: Server;
  private waiters = new Map<string, { resolve(post: ResponsePost): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private early = new Map<string, ResponsePost>();
  /** users.info: Slack user id → email (the bench's users are linked, so this is rarely asked). */
  readonly emails = new Map<string, string>();
  /** Web API calls by method, for the report. */
  readonly calls = new Map<string, number>();
  private ts = 1_700_000_000;
  url = "";

  /** Starts listening on a free port. */
  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const raw = await read(req);
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path.startsWith("/response/")) {
        const at = process.hrtime.bigint();
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
        this.arrived(path.slice("/response/".length), { at, body: safeJson(raw) });
        return;
      }
      const method = path.replace(/^\/api\//, "");
      this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
      const form = Object.fromEntries(new URLSearchParams(raw));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(this.answer(method, form)));
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  /** The response_url for one request. */
  responseUrl(id: string): string {
    return this.url.replace(/\/api\/$/, `/response/${id}`);
  }

  /** Resolves when the answer for `id` is posted to its response_url; rejects after timeoutMs. */
  waitFor(id: string, timeoutMs = 30_000): Promise<ResponsePost> {
    const already = this.early.get(id);
    if (already) {
      this.early.delete(id);
      return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new AnswerTimeout(`no answer on response_url ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
  }

  private arrived(id: string, post: ResponsePost): void {
    const waiter = this.waiters.get(id);
    if (!waiter) {
      this.early.set(id, post);
      return;
    }
    clearTimeout(waiter.timer);
    this.waiters.delete(id);
    waiter.resolve(post);
  }

  private answer(method: string, form: Record<string, string>): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return { ok: true, user_id: "UBOT", bot_id: "BBOT", team_id: "T1", user: "embedops" };
      case "users.info": {
        const email = this.emails.get(form.user ?? "");
        return email ? { ok: true, user: { id: form.user, profile: { email } } } : { ok: false, error: "user_not_found" };
      }
      case "usergroups.users.list":
        return { ok: true, users: [] };
      case "chat.postMessage":
        return { ok: true, channel: form.channel, ts: `${this.ts++}.000100` };
      case "chat.update":
        return { ok: true, channel: form.channel, ts: form.ts };
      default:
        return { ok: false, error: `unexpected_method_${method}` };
    }
  }

  /** Stops the server and fails whoever still waits. */
  async stop(): Promise<void> {
    for (const [id, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`stopped while waiting for ${id}`));
    }
    this.waiters.clear();
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function safeJson(raw: string): Record<string, unknown> {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return { raw };
  }
}
