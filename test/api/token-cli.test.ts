import { decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureCli } from "../support/cli.ts";
import { startTestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { loadWorld } from "../support/fixtures.ts";
import { postJson } from "./tokens.ts";

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = await testDb.open();
  await loadWorld(db);
  await db.close();
});

afterAll(async () => {
  await testDb?.drop();
});

const cli = (env: Record<string, string>, ...argv: string[]) => captureCli(argv, { DATABASE_URL: testDb.url, ...env });

const key = (secret: string) => new TextEncoder().encode(secret);

describe("embedops token", () => {
  it("prints an end user's HS256 JWT signed with the configuration's secret", async () => {
    const { code, out, err } = await cli({}, "token", "--configuration", "cfg_1", "--user", "u_1", "--account", "acc_1", "--name", "Jane van Doe", "--expires", "5m");
    expect(code).toBe(0);
    const token = out.trim();
    expect(decodeProtectedHeader(token).alg).toBe("HS256");
    const { payload } = await jwtVerify(token, key("cfg-1-secret-value"), { algorithms: ["HS256"] });
    expect(payload).toMatchObject({ embed_user_id: "u_1", embed_account_id: "acc_1", embed_user_name: "Jane van Doe" });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(err).toContain("the secret of cfg_1");
    expect(err).not.toContain("cfg-1-secret-value");
  });

  it("signs with the account's own secret where the configuration has one", async () => {
    const { code, out } = await cli({}, "token", "--configuration", "cfg_2", "--user", "u_vip", "--account", "acc_vip");
    expect(code).toBe(0);
    await expect(jwtVerify(out.trim(), key("cfg-2-secret-value"), { algorithms: ["HS256"] })).rejects.toThrow();
    const { payload } = await jwtVerify(out.trim(), key("vip-account-secret"), { algorithms: ["HS256"] });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it("prints a POST /api/runs token with --runs, signed with RUNS_API_SECRET", async () => {
    const { code, out } = await cli({ RUNS_API_SECRET: "the-runs-secret" }, "token", "--runs", "--expires", "1h");
    expect(code).toBe(0);
    const { payload } = await jwtVerify(out.trim(), key("the-runs-secret"), { algorithms: ["HS256"], requiredClaims: ["exp", "iat"] });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it("prints tokens the running bot's API accepts", async () => {
    // Tokens first: models follow the last opened connection, and the CLI opens (and closes) its own.
    const user = (await cli({}, "token", "--configuration", "cfg_1", "--user", "u_cli", "--account", "acc_cli")).out.trim();
    const runs = (await cli({ RUNS_API_SECRET: "the-runs-secret" }, "token", "--runs")).out.trim();
    const bot = await startTestBot(testDb.url, { RUNS_API_SECRET: "the-runs-secret" });
    try {
      const activated = await postJson(`${bot.baseUrl}/api/embed/cfg_1/integrations`, { flow_id: "flow_1" }, user);
      expect(activated.status).toBe(201);
      const event = { run_id: "run_cli", integration_id: activated.body.id, status: "success", started_at: new Date().toISOString() };
      expect((await postJson(`${bot.baseUrl}/api/runs`, event, runs)).status).toBe(202);
    } finally {
      await bot.stop();
    }
  });

  it("exits non-zero with a one-line reason on bad input", async () => {
    const cases: Array<[Record<string, string>, string[], RegExp]> = [
      [{}, ["token", "--configuration", "cfg_1", "--user", "u_1"], /missing --account/],
      [{}, ["token", "--configuration", "cfg_nope", "--user", "u_1", "--account", "a"], /no embed configuration "cfg_nope"/],
      [{}, ["token", "--configuration", "cfg_1", "--user", "u_1", "--account", "a", "--expires", "soon"], /--expires "soon" is not a lifetime/],
      [{}, ["token", "--runs"], /RUNS_API_SECRET/],
      [{ RUNS_API_SECRET: "s" }, ["token", "--runs", "--user", "u_1"], /--runs takes only --expires/],
      [{}, ["token", "--bogus"], /Unknown option/],
    ];
    for (const [env, argv, reason] of cases) {
      const { code, out, err } = await cli(env, ...argv);
      expect(code, argv.join(" ")).not.toBe(0);
      expect(out).toBe("");
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(err).toMatch(reason);
    }
  });

  it("prints its usage for --help (and -h), as every command does, without touching the database", async () => {
    for (const argv of [["token", "--help"], ["token", "--runs", "-h"], ["import", "--help"]]) {
      const { code, out, err } = await captureCli(argv, { DATABASE_URL: "sqlite:/nonexistent-dir/never.sqlite" });
      expect(code, argv.join(" ")).toBe(0);
      expect(err).toBe("");
      expect(out).toMatch(new RegExp(`^Usage: embedops ${argv[0]} `));
    }
  });
});
