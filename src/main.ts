/**
 * The process entry point: `node dist/src/main.js COMMAND …` runs one embedops command with this process's streams,
 * after reading `.env` from the working directory (a variable already in the environment wins).
 */
import { existsSync } from "node:fs";
import { runCli } from "./cli/index.ts";

async function environment(): Promise<Record<string, string | undefined> | undefined> {
  if (!existsSync(".env")) return process.env;
  const { withDotEnv, ConfigError } = await import("./config.ts");
  try {
    return withDotEnv(process.env, ".env");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`embedops: ${error.message}\n`);
    return undefined;
  }
}

const env = await environment();
process.exitCode = env ? await runCli(process.argv.slice(2), { env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }) : 1;
