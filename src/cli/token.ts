import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { findConfiguration, signingSecret } from "../data/configurations.ts";
import { openDatabase } from "../data/database.ts";
import { signJwt } from "../domain/jwt.ts";
import { badInput } from "../errors.ts";
import type { CliCommand } from "./cli-command.ts";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Reads a lifetime like `90s`, `10m`, `2h`, `1d` (a bare number is seconds) into seconds. */
function parseLifetime(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[(match[2] || "s").toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > 366 * 86_400) {
    throw badInput(`--expires "${text}" is not a lifetime; use e.g. 90s, 10m, 2h or 1d (at most a year).`);
  }
  return seconds;
}

/**
 * `embedops token`: prints a JWT for trying the HTTP API by hand, an end user's (signed with the configuration's
 * secret, or the account's where it has one) or, with --runs, the flow engine's for POST /api/runs.
 */
export const tokenCommand: CliCommand = {
  name: "token",
  usage: "embedops token --configuration ID --user U --account A [--name N] [--account-name N] [--state JSON] [--expires 10m] | --runs [--expires 10m]",
  summary: "Print a JWT for the embed API (an end user's) or, with --runs, for POST /api/runs.",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        configuration: { type: "string" },
        user: { type: "string" },
        account: { type: "string" },
        name: { type: "string" },
        "account-name": { type: "string" },
        state: { type: "string" },
        expires: { type: "string", default: "10m" },
        runs: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw badInput(`token takes only options (got ${positionals.join(" ")}); usage: ${tokenCommand.usage}`);
    const config = loadConfig(io.env);
    const expiresInSeconds = parseLifetime(values.expires);
    const now = new Date();
    if (values.runs) {
      const extra = ["configuration", "user", "account", "name", "account-name", "state"].filter((option) => values[option as keyof typeof values] !== undefined);
      if (extra.length) throw badInput(`--runs takes only --expires (got --${extra.join(", --")}).`);
      if (!config.runsApiSecret) throw new ConfigError("RUNS_API_SECRET", "is not set; POST /api/runs tokens are signed with it");
      io.stdout.write(`${await signJwt(config.runsApiSecret, {}, { now, expiresInSeconds })}\n`);
      return 0;
    }
    const missing = (["configuration", "user", "account"] as const).filter((option) => !values[option]?.trim());
    if (missing.length) throw badInput(`missing --${missing.join(", --")}; usage: ${tokenCommand.usage}`);
    let state: unknown;
    if (values.state !== undefined) {
      try {
        state = JSON.parse(values.state) as unknown;
      } catch {
        throw badInput("--state is not valid JSON.");
      }
    }
    const db = openDatabase(config.databaseUrl);
    try {
      const configurationId = values.configuration!.trim();
      const account = values.account!.trim();
      const configuration = await findConfiguration(db, configurationId);
      if (!configuration) throw badInput(`no embed configuration "${configurationId}".`);
      const signing = await signingSecret(db, configuration, account);
      const claims: Record<string, unknown> = { embed_user_id: values.user!.trim(), embed_account_id: account };
      if (values.name) claims.embed_user_name = values.name;
      if (values["account-name"]) claims.embed_account_name = values["account-name"];
      if (state !== undefined) claims.embed_state = state;
      const token = await signJwt(signing.secret, claims, { now, expiresInSeconds });
      io.stdout.write(`${token}\n`);
      io.stderr.write(
        `Signed with ${signing.accountSecret ? `the account secret of ${account}` : `the secret of ${configurationId}`}; valid until ${new Date(now.getTime() + expiresInSeconds * 1000).toISOString()}.\n`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
