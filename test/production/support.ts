import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { slackSignature, TEST_SIGNING_SECRET } from "../support/slack-request.ts";

/** The bot as a real child process (`node bin/embedops.mjs start`), with its log lines. */
export interface BotProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  /** Every line written to standard error so far. */
  stderr: string[];
  stdout: string[];
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/**
 * Starts `embedops start` in HTTP mode with the given environment; resolves once it logged "embedops is up"
 * (with PORT=0), or once /healthz answers on a PORT given.
 */
export async function spawnBot(env: Record<string, string>): Promise<BotProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "../../bin/embedops.mjs"), "start"], {
    cwd: join(import.meta.dirname, "../.."),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      into.push(...lines.filter((line) => line.length > 0));
    });
  };
  collect(child.stderr!, stderr);
  collect(child.stdout!, stdout);
  const fixedPort = env.PORT && env.PORT !== "0" ? Number(env.PORT) : undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(async () => {
      if (fixedPort !== undefined) {
        // Below LOG_LEVEL=info the start-up line is not written: ask the health check instead.
        const up = await fetch(`http://127.0.0.1:${fixedPort}/healthz`).then((r) => r.ok, () => false);
        if (up) {
          clearInterval(timer);
          resolve(fixedPort);
        }
        return;
      }
      for (const line of stderr) {
        const entry = parseLine(line);
        if (entry?.msg === "embedops is up" && typeof entry.port === "number") {
          clearInterval(timer);
          resolve(entry.port);
          return;
        }
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`the bot exited with ${code} before it was up:\n${stderr.join("\n")}\n${stdout.join("\n")}`));
    });
  });
  return { child, port, baseUrl: `http://127.0.0.1:${port}`, stderr, stdout, exited };
}

/** One structured log line, or undefined when the line is not JSON. */
export function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Posts a signed JSON body (an Events API callback) to /slack/events, as Slack does. */
export async function postSignedEvent(baseUrl: string, payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(`${baseUrl}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": slackSignature(body, TEST_SIGNING_SECRET, timestamp),
    },
    body,
  });
}

/** An `app_home_opened` event callback for a user, as Slack sends it. */
export function appHomeOpened(user: string, tab: "home" | "messages" = "home"): Record<string, unknown> {
  return {
    token: "deprecated-verification-token",
    team_id: "T1",
    api_app_id: "A1",
    type: "event_callback",
    event_id: `Ev${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: "app_home_opened", user, channel: "D0HOME", tab, event_ts: `${Date.now() / 1000}` },
  };
}

/** Parses CSV text (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) into records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
