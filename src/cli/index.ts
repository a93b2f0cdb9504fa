import { EmbedopsError } from "../errors.ts";
import type { CliCommand, CliIo } from "./cli-command.ts";

/** One `embedops` command as the help lists it; its module (and what it imports) is loaded only when it runs. */
export interface CliEntry {
  name: string;
  usage: string;
  summary: string;
  load(): Promise<CliCommand>;
}

/** Every `embedops` command: the one place they are listed. `--help` loads none of them, so it answers at once. */
export const CLI_COMMANDS: readonly CliEntry[] = [
  { name: "start", usage: "embedops start [--as EMAIL] [--demo]", summary: "Run the bot (Socket Mode, HTTP mode, or the local console without Slack credentials).", load: async () => (await import("./start.ts")).start },
  { name: "console", usage: "embedops console [--as EMAIL] [--demo]", summary: "Read commands from standard input and answer them as text.", load: async () => (await import("./console.ts")).consoleCommand },
  { name: "migrate", usage: "embedops migrate", summary: "Apply pending database migrations.", load: async () => (await import("./migrate.ts")).migrateCommand },
  {
    name: "token",
    usage: "embedops token --configuration ID --user U --account A [--name N] [--account-name N] [--state JSON] [--expires 10m] | --runs [--expires 10m]",
    summary: "Print a JWT for the embed API (an end user's) or, with --runs, for POST /api/runs.",
    load: async () => (await import("./token.ts")).tokenCommand,
  },
  { name: "import", usage: "embedops import FILE.json", summary: "Upsert groups, configurations, flows, integrations, runs, auths, operators and grants from a JSON file.", load: async () => (await import("./import.ts")).importCommand },
  { name: "seed", usage: "embedops seed --demo [--integrations N] [--runs-per-integration M]", summary: "Load the demo data; with --integrations, also N scale integrations with M runs each (default 50).", load: async () => (await import("./seed.ts")).seedCommand },
  {
    name: "job",
    usage: "embedops job NAME [--dry-run]",
    summary: "Run one job now (housekeeping-report, run-retention, failure-alerts, health-sweep); --dry-run prints what it would post and changes nothing.",
    load: async () => (await import("./job.ts")).jobCommand,
  },
  { name: "grant", usage: "embedops grant EMAIL|S… view|run|manage|admin group:ID|all", summary: "Give an operator or a Slack user group a permission on a group or on all (audited).", load: async () => (await import("./grant.ts")).grantCommand },
  { name: "revoke", usage: "embedops revoke EMAIL|S… view|run|manage|admin group:ID|all", summary: "Take a permission back from an operator or a Slack user group (audited).", load: async () => (await import("./grant.ts")).revokeCommand },
];

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
  const entry = CLI_COMMANDS.find((candidate) => candidate.name === name);
  if (!entry) {
    io.stderr.write(`embedops: unknown command "${name}"; run "embedops help" for the list\n`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(`Usage: ${entry.usage}\n\n${entry.summary}\n`);
    return 0;
  }
  const command = await entry.load();
  try {
    return await command.run(args, io);
  } catch (error) {
    const { ConfigError } = await import("../config.ts");
    if (error instanceof ConfigError || error instanceof EmbedopsError) {
      io.stderr.write(`embedops ${name}: ${error.message.replace(/\s+/g, " ")}\n`);
      return error instanceof ConfigError ? 1 : 2;
    }
    if (error instanceof TypeError && "code" in error && String((error as { code: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`embedops ${name}: ${error.message}; usage: ${entry.usage}\n`);
      return 2;
    }
    io.stderr.write(`embedops ${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    return 1;
  }
}
