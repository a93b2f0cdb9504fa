import type { Readable, Writable } from "node:stream";

/** The streams and environment a CLI command runs with (tests pass their own). */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** One `embedops NAME …` command. Returns the exit code; throws EmbedopsError/ConfigError for a one-line reason. */
export interface CliCommand {
  name: string;
  usage: string;
  summary: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** The log level of a command run at a terminal: warnings only, unless LOG_LEVEL asks for more or less. */
export function terminalLogLevel(env: Record<string, string | undefined>, configured: string): string {
  return env.LOG_LEVEL?.trim() ? configured : "warn";
}
