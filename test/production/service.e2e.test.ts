import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/data/database.ts";
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from "../support/database.ts";
import { FakeSlackApi } from "../support/slack-api.ts";
import { TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { parseLine } from "./support.ts";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/embedops.mjs");
let slack: FakeSlackApi;
let testDb: TestDatabase;
const dirs: string[] = [];

beforeAll(async () => {
  slack = await new FakeSlackApi().start();
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await slack?.stop();
  await testDb?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "embedops-service-"));
  dirs.push(dir);
  return dir;
}

/** Runs a command to its end with the given environment only (plus PATH), collecting its output. */
function run(command: string, args: string[], options: { env: Record<string, string>; cwd?: string; input?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdin.end(options.input ?? "");
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The pids of `pid`'s children. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).split("\n").map((line) => Number(line.trim())).filter((n) => n > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start is a service", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`stops gracefully on ${signal} sent to the npm start process, leaving no process and no open port`, async () => {
      const child = spawn("npm", ["start"], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", SLACK_BOT_TOKEN: "xoxb-service-test", SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, SLACK_API_URL: slack.url, DATABASE_URL: testDb.url, PORT: "0", LOG_LEVEL: "info" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setInterval(() => {
          const up = stderr.split("\n").map(parseLine).find((entry) => entry?.msg === "embedops is up");
          if (up) {
            clearInterval(timer);
            resolve(up.port as number);
          }
        }, 20);
        void exited.then(() => reject(new Error(`npm start ended early:\n${stderr}`)));
      });
      const bots = childrenOf(child.pid!);
      expect(bots.length).toBe(1);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

      child.kill(signal);
      expect(await exited).toBe(0);
      const messages = stderr.split("\n").map(parseLine).map((entry) => entry?.msg);
      expect(messages).toContain("embedops stopped");
      for (const pid of bots) expect(alive(pid), `bot process ${pid} left behind`).toBe(false);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }, 60_000);
  }
});

describe("the mode comes from the environment, strictly", () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ["an app token without a bot token", { SLACK_APP_TOKEN: "xapp-1-A-1-x" }, /SLACK_BOT_TOKEN/],
    ["an app token and a signing secret without a bot token", { SLACK_APP_TOKEN: "xapp-1-A-1-x", SLACK_SIGNING_SECRET: "s" }, /SLACK_BOT_TOKEN/],
    ["a bot token alone", { SLACK_BOT_TOKEN: "xoxb-1" }, /SLACK_SIGNING_SECRET .*or SLACK_APP_TOKEN/],
    ["a signing secret alone", { SLACK_SIGNING_SECRET: "s" }, /SLACK_BOT_TOKEN/],
    ["NODE_ENV=production with no Slack credentials", { NODE_ENV: "production" }, /NODE_ENV=production needs Slack credentials/],
  ];
  for (const [name, env, reason] of cases) {
    it(`exits 1 naming what is missing with ${name}, and touches no database`, async () => {
      const dir = tempDir();
      const result = await run(process.execPath, [BIN, "start"], { env: { ...env, DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}` }, input: "list\n" });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(reason);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stdout).toBe("");
      expect(existsSync(join(dir, "db.sqlite"))).toBe(false);
    }, 60_000);
  }
});

describe(".env", () => {
  it("is read from the working directory, and a variable already in the environment wins", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), `# local settings\nDATABASE_URL=sqlite:${join(dir, "from-file.sqlite")}\n\nexport SLASH_COMMAND="/ops"\n`);
    expect((await run(process.execPath, [BIN, "migrate"], { cwd: dir, env: {} })).code).toBe(0);
    expect(existsSync(join(dir, "from-file.sqlite"))).toBe(true);
    expect((await run(process.execPath, [BIN, "migrate"], { cwd: dir, env: { DATABASE_URL: `sqlite:${join(dir, "from-env.sqlite")}` } })).code).toBe(0);
    expect(existsSync(join(dir, "from-env.sqlite"))).toBe(true);
  }, 60_000);

  it("with a bad line stops with an error naming the line, before anything runs", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), `PORT=3000\n# fine\nDATABASE_URL sqlite:${join(dir, "x.sqlite")}\n`);
    const result = await run(process.execPath, [BIN, "migrate"], { cwd: dir, env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^embedops: \.env: line 3 is not NAME=value: "DATABASE_URL sqlite:/);
    expect(existsSync(join(dir, "x.sqlite"))).toBe(false);
  });

  it(".env.example documents every variable of the configuration", async () => {
    const { readFileSync } = await import("node:fs");
    const example = readFileSync(join(ROOT, ".env.example"), "utf8");
    const config = readFileSync(join(ROOT, "src/config.ts"), "utf8");
    const read = [...config.matchAll(/(?:parse|optional|read)\(env, "([A-Z_]+)"/g)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(20);
    for (const name of new Set(read)) expect(example, name).toMatch(new RegExp(`^${name}=`, "m"));
  });
});

describe("demo data", () => {
  it("goes into an empty SQLite database, and with --demo only when asked", async () => {
    const dir = tempDir();
    const result = await run(process.execPath, [BIN, "start"], { env: { DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}` }, input: "list\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("demo data loaded");
  }, 60_000);

  async function emptyPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
    const server = TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const admin = new pg.Client({ connectionString: server, connectionTimeoutMillis: 2_000 });
    try {
      await admin.connect();
    } catch {
      return undefined;
    }
    const name = `embedops_demo_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }

  it("never goes into PostgreSQL unasked: the console says how to import and loads nothing; --demo loads it", async (ctx) => {
    const target = await emptyPostgres();
    if (!target) return ctx.skip();
    try {
      const result = await run(process.execPath, [BIN, "start"], { env: { DATABASE_URL: target.url, ADMIN_EMAILS: "ops@example.com" }, input: "list\n" });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("npx embedops import FILE.json");
      expect(result.stdout).not.toContain("demo data loaded");
      const db = openDatabase(target.url);
      expect(await db.models.Integration.count()).toBe(0);
      const demo = await run(process.execPath, [BIN, "start", "--demo"], { env: { DATABASE_URL: target.url }, input: "list\n" });
      expect(demo.code).toBe(0);
      expect(demo.stdout).toContain("Demo data loaded");
      expect(await db.models.Integration.count()).toBeGreaterThan(100);
      await db.close();
    } finally {
      await target.drop();
    }
  }, 60_000);
});
