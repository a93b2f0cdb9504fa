import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const VALID = fileURLToPath(new URL("../fixtures/import-valid.json", import.meta.url));
const BAD_ROW = fileURLToPath(new URL("../fixtures/import-bad-row.json", import.meta.url));
const SECRETS = ["cfg-1-signing-secret-DO-NOT-SHOW", "cfg-2-signing-secret-DO-NOT-SHOW", "acc-9-secret-DO-NOT-SHOW"];

let testDb: TestDatabase;
let dir: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), "embedops-import-cli-"));
});

afterAll(async () => {
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `embedops ARGS` in this process, as bin/embedops.mjs does, capturing its output. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(args, { env: { DATABASE_URL: testDb.url, LOG_LEVEL: "silent" }, stdin: new PassThrough(), stdout, stderr });
  return { code, stdout: out, stderr: err };
}

async function integrationCount(): Promise<number> {
  const db = await testDb.open();
  try {
    return await db.models.Integration.count();
  } finally {
    await db.close();
  }
}

describe("embedops import and seed", () => {
  it("refuses a missing file, invalid JSON and a bad row with a one-line reason, writing nothing", async () => {
    const missing = await cli(["import", join(dir, "nope.json")]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split("\n")).toEqual([`embedops import: cannot read ${join(dir, "nope.json")}: no such file`]);

    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{\n  "configurations": [{"secret": "cfg-1-signing-secret-DO-NOT-SHOW",, }]\n}\n');
    const invalid = await cli(["import", broken]);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr.trim().split("\n")).toHaveLength(1);
    expect(invalid.stderr).toMatch(/is not valid JSON at line 2, column \d+/);
    expect(invalid.stderr).not.toContain("DO-NOT-SHOW");

    const bad = await cli(["import", BAD_ROW]);
    expect(bad.code).not.toBe(0);
    const lines = bad.stderr.trim().split("\n");
    expect(lines[0]).toBe(`embedops import: ${BAD_ROW} was refused, nothing was written: 1 problem`);
    expect(lines.slice(1)).toEqual(["  runs[3].integration_id: no integration int_9"]);
    expect(await integrationCount()).toBe(0);

    expect((await cli(["import"])).code).not.toBe(0);
  });

  it("prints at most 20 problems and counts the rest", async () => {
    const many = join(dir, "many.json");
    writeFileSync(many, JSON.stringify({ runs: Array.from({ length: 25 }, (_, i) => ({ id: `r${i}`, integration_id: `int_x${i}`, status: "success", started_at: "2026-11-20T10:00:00Z" })) }));
    const result = await cli(["import", many]);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toContain("25 problems");
    expect(lines.filter((line) => line.startsWith("  runs["))).toHaveLength(20);
    expect(lines.at(-1)).toBe("  … and 5 more");
  });

  it("imports a valid file, then reports nothing changed the second time, never printing or logging a secret", { timeout: 120_000 }, async () => {
    // A real process with debug logging: nothing it writes anywhere may hold a secret.
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: testDb.url, LOG_LEVEL: "debug" };
    delete env.VITEST;
    const run = (args: string[]) =>
      new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ["bin/embedops.mjs", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, output }));
      });
    const first = await run(["import", VALID]);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain("integrations: 3 created, 0 updated, 0 unchanged");
    const second = await run(["import", VALID]);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain("integrations: 0 created, 0 updated, 3 unchanged");
    for (const secret of SECRETS) expect(`${first.output}${second.output}`).not.toContain(secret);
    expect(await integrationCount()).toBe(3);
  });

  it("refuses seed without --demo and bad numbers with one line", async () => {
    for (const args of [["seed"], ["seed", "--demo", "--integrations", "many"], ["seed", "--demo", "--runs-per-integration", "5"], ["seed", "--demo", "--bogus"]]) {
      const result = await cli(args);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });
});
