import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SPAWN_TIMEOUT = 120_000;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a fresh machine: no Slack variables, no NODE_ENV, our own database. */
function cleanEnv(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("SLACK_") || key === "NODE_ENV" || key === "ADMIN_EMAILS" || key === "VITEST" || key.startsWith("VITEST_") || key === "LOG_LEVEL") continue;
    env[key] = value;
  }
  return { ...env, DATABASE_URL: databaseUrl, ...extra };
}

/** Runs the real CLI (`node bin/embedops.mjs ARGS`) with `input` piped to it, to its exit. */
function embedops(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/embedops.mjs", ...args], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`embedops ${args.join(" ")} did not exit; stdout so far:\n${stdout}\nstderr:\n${stderr}`));
    }, SPAWN_TIMEOUT - 5_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** The lines of stderr meant for people, without the structured log lines. */
function reasonLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("{"));
}

// The console's own default: an SQLite file, on every run of the suite. Demo data goes only into an empty SQLite
// database, so this file tests that path even when the suite runs on PostgreSQL (where the console loads nothing;
// see test/production/service.e2e.test.ts).
let dir: string;
let testDb: { url: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "embedops-console-"));
  testDb = { url: `sqlite:${join(dir, "console.sqlite")}` };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// One database for the file, in order: the first start finds it empty and loads the demo.
describe("the local console as a real process", () => {
  it("loads demo data into an empty database, answers piped list and show, and exits 0", { timeout: SPAWN_TIMEOUT }, async () => {
    const result = await embedops(["start"], "list\nshow int_1\n", cleanEnv(testDb.url));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("demo data loaded");
    expect(result.stdout).toMatch(/Integrations \(20 on page 1, more on the next\)/);
    expect(result.stdout).toContain("[Next page] /integrations list after:");
    // show int_1: every column and its last runs.
    expect(result.stdout).toContain("Integration:         HubSpot to Salesforce (int_1)");
    expect(result.stdout).toContain("Configuration name:  Acme CRM sync");
    expect(result.stdout).toContain("Group name:          Acme Partners");
    expect(result.stdout).toContain("Last 5 runs");
    // Acting as the first admin: the admin's buttons are shown.
    expect(result.stdout).toContain("[Run] /integrations run int_1");
  });

  it("accepts lines with the slash command in front", { timeout: SPAWN_TIMEOUT }, async () => {
    // A wide terminal, so that the Configuration name column is among those shown.
    const result = await embedops(["start"], "/integrations list group:g_globex\n/integrations show int_1\n", cleanEnv(testDb.url, { COLUMNS: "200" }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("demo data loaded");
    const list = result.stdout.slice(result.stdout.indexOf("Integrations matching"), result.stdout.indexOf("HubSpot to Salesforce\n"));
    expect(list).toContain("Globex Support Desk");
    expect(list).not.toContain("Acme CRM sync");
    expect(result.stdout).toContain("Integration:         HubSpot to Salesforce (int_1)");
    expect(result.stdout).not.toContain("is not a command");
  });

  it("acts as the operator named by --as, with only their permissions", { timeout: SPAWN_TIMEOUT }, async () => {
    const result = await embedops(["start", "--as", "Maria.Garcia@example.com"], "whoami\nlist\nshow int_61\n", cleanEnv(testDb.url));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("maria.garcia@example.com");
    const list = result.stdout.slice(result.stdout.indexOf("Integrations ("), result.stdout.indexOf("Denied"));
    expect(list).toContain("Acme Partners");
    for (const other of ["Northwind Agency", "Globex Resellers", "Initech", "Umbrella Cloud", "Hooli Marketplace"]) expect(list).not.toContain(other);
    // int_61 belongs to Northwind Agency, where Maria has no grant.
    expect(result.stdout).toMatch(/Denied: You need Can view on group Northwind Agency/);
  });

  it("refuses an unknown --as with one line and a non-zero exit", { timeout: SPAWN_TIMEOUT }, async () => {
    const result = await embedops(["start", "--as", "ghost@example.com"], "list\n", cleanEnv(testDb.url));
    expect(result.code).not.toBe(0);
    expect(reasonLines(result.stderr)).toEqual(["embedops start: No operator with email ghost@example.com: import one or set ADMIN_EMAILS."]);
    expect(result.stdout).not.toContain("Integrations (");
  });

  it("exits 1 naming the missing variables when NODE_ENV=production has no Slack credentials", { timeout: SPAWN_TIMEOUT }, async () => {
    const result = await embedops(["start"], "list\n", cleanEnv(testDb.url, { NODE_ENV: "production" }));
    expect(result.code).toBe(1);
    const lines = reasonLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("SLACK_BOT_TOKEN");
    expect(lines[0]).toContain("SLACK_SIGNING_SECRET");
    expect(result.stdout).toBe("");
  });
});
