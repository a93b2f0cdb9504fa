import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One call the bot made to the Web API, or one post to a response_url. */
export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  token?: string;
  /** When the call arrived (epoch ms). */
  at?: number;
}

type Answer = { status?: number; headers?: Record<string, string>; body: unknown; /** Wait this long before answering (a slow Slack). */ delayMs?: number };

/** A file the bot uploaded: the bytes posted to its upload URL, and how it was completed. */
interface RecordedUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes?: Buffer;
  title?: string;
  channel?: string;
  initialComment?: string;
}

/**
 * A local stand-in for the Slack Web API (SLACK_API_URL) and for response_urls: it records every call,
 * answers like Slack, and fails any call it has no answer for, so no test reaches anything unexpected.
 */
export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  readonly responses: RecordedCall[] = [];
  /** users.info: Slack user id → email. */
  readonly emails = new Map<string, string>();
  /** usergroups.users.list: user group id → member ids. */
  readonly usergroups = new Map<string, string[]>();
  /** files.uploadV2's steps, by file id: getUploadURLExternal, the bytes, completeUploadExternal. */
  readonly uploads = new Map<string, RecordedUpload>();
  /** Answers for the next POSTs to an upload URL (e.g. a 500), before the default 200. */
  readonly uploadAnswers: Array<{ status: number }> = [];
  private fileCounter = 0;
  /** Answers queued for a method, used before the default answer (429s, 500s, errors). */
  private queued = new Map<string, Answer[]>();
  private server?: Server;
  private ts = 1_700_000_000;
  url = "";

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const bytes = await read(req);
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path.startsWith("/upload/")) {
        const upload = this.uploads.get(path.slice("/upload/".length));
        const status = this.uploadAnswers.shift()?.status ?? (upload ? 200 : 404);
        if (upload && status === 200) upload.bytes = bytes;
        res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "OK - 200" : "error");
        return;
      }
      const raw = bytes.toString("utf8");
      const body = parseBody(raw, req.headers["content-type"]);
      if (path.startsWith("/response/")) {
        this.responses.push({ method: path, body });
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
        return;
      }
      const method = path.replace(/^\/api\//, "").replace(/^\//, "");
      const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "") || (body.token as string | undefined);
      this.calls.push({ method, body, token, at: Date.now() });
      const answer = this.queued.get(method)?.shift() ?? this.answer(method, body);
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/api/`;
    return this;
  }

  /** A response_url on this server, as Slack puts in each request. */
  responseUrl(id = "1"): string {
    return this.url.replace(/\/api\/$/, `/response/${id}`);
  }

  /** Queues an answer for the next call of a method (e.g. a 429 with Retry-After, or {ok:false}). */
  queue(method: string, answer: Answer): void {
    const list = this.queued.get(method) ?? [];
    list.push(answer);
    this.queued.set(method, list);
  }

  /** The calls of one method. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  private answer(method: string, body: Record<string, unknown>): Answer {
    switch (method) {
      case "auth.test":
        return { body: { ok: true, user_id: "UBOT", bot_id: "BBOT", team_id: "T1", user: "embedops" } };
      case "users.info": {
        const email = this.emails.get(String(body.user));
        if (!email && !this.emails.has(String(body.user))) return { body: { ok: false, error: "user_not_found" } };
        return { body: { ok: true, user: { id: body.user, profile: { email } } } };
      }
      case "usergroups.users.list":
        return { body: { ok: true, users: this.usergroups.get(String(body.usergroup)) ?? [] } };
      case "chat.postMessage":
      case "chat.postEphemeral":
        return { body: { ok: true, channel: body.channel, ts: `${this.ts++}.000100`, message: { text: body.text } } };
      case "chat.update":
        return { body: { ok: true, channel: body.channel, ts: body.ts } };
      case "views.publish":
        return { body: { ok: true } };
      case "views.open":
        return { body: { ok: true, view: { id: `V${this.ts++}` } } };
      case "files.getUploadURLExternal": {
        const fileId = `F${String(++this.fileCounter).padStart(6, "0")}`;
        this.uploads.set(fileId, { fileId, filename: String(body.filename), length: Number(body.length) });
        return { body: { ok: true, upload_url: this.url.replace(/\/api\/$/, `/upload/${fileId}`), file_id: fileId } };
      }
      case "files.completeUploadExternal": {
        const files = (typeof body.files === "string" ? safeJson(body.files) : body.files) as Array<{ id: string; title?: string }>;
        for (const file of files ?? []) {
          const upload = this.uploads.get(file.id);
          if (!upload?.bytes) return { body: { ok: false, error: "file_not_found" } };
          Object.assign(upload, { title: file.title, channel: body.channel_id as string | undefined, initialComment: body.initial_comment as string | undefined });
        }
        return { body: { ok: true, files: (files ?? []).map((file) => ({ id: file.id, title: file.title })) } };
      }
      default:
        return { status: 200, body: { ok: false, error: `unexpected_method_${method}` } };
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

async function read(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes("application/json")) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client sends blocks and other structures as JSON strings.
    out[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return out;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
