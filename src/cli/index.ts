import { ConfigError } from "../config.ts";
import { EmbedopsError } from "../errors.ts";
import type { CliCommand, CliIo } from "./cli-command.ts";
import { consoleCommand } from "./console.ts";
import { grantCommand, revokeCommand } from "./grant.ts";
import { importCommand } from "./import.ts";
import { jobCommand } from "./job.ts";
import { migrateCommand } from "./migrate.ts";
import { seedCommand } from "./seed.ts";
import { start } from "./start.ts";
import { tokenCommand } from "./token.ts";

/** Every `embedops` command: the one place they are listed. */
export const CLI_COMMANDS: readonly CliCommand[] = [start, consoleCommand, migrateCommand, tokenCommand, importCommand, seedCommand, jobCommand, grantCommand, revokeCommand];

function usage(): string {
  return ["Usage: embedops COMMAND", "", ...CLI_COMMANDS.map((command) => `  ${command.usage.padEnd(60)} ${command.summary}`)].join("\n");
}

/** Runs `embedops ARGS…`; returns the exit code. Bad input prints one line naming the reason. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = CLI_COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr.write(`embedops: unknown command "${name}"; run "embedops help" for the list\n`);
    return 2;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof EmbedopsError) {
      io.stderr.write(`embedops ${name}: ${error.message.replace(/\s+/g, " ")}\n`);
      return error instanceof ConfigError ? 1 : 2;
    }
    if (error instanceof TypeError && "code" in error && String((error as { code: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`embedops ${name}: ${error.message}; usage: ${command.usage}\n`);
      return 2;
    }
    io.stderr.write(`embedops ${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    return 1;
  }
}
