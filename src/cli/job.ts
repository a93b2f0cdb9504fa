import { COMMANDS } from "../../commands/index.ts";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { JOBS } from "../../jobs/index.ts";
import { findJob, runJob } from "../../jobs/runner.ts";
import { drainOutbox } from "../outbox/sender.ts";
import { loadConfig, type Config } from "../config.ts";
import { badInput } from "../errors.ts";
import { setLogLevel } from "../log.ts";
import { openRuntime } from "../runtime.ts";
import type { ChannelMessages } from "../reply/messages.ts";
import { toText } from "../slack/text-renderer.ts";
import { createWebClient, webChannelMessages } from "../slack/web-client.ts";
import { terminalLogLevel, type CliCommand } from "./cli-command.ts";

/** A dry run's messages: printed as the console would show them, never sent. */
function printedMessages(output: Writable, slashCommand: string): ChannelMessages {
  let counter = 0;
  return {
    async post(channel, doc, options) {
      const ts = `dry-run.${++counter}`;
      output.write(`--- would post to #${channel}${options?.threadTs ? ` (in the thread of ${options.threadTs})` : ""} ---\n${toText(doc, slashCommand)}\n\n`);
      return { channel, ts };
    },
    async update(ref, doc) {
      output.write(`--- would update ${ref.ts} in #${ref.channel} ---\n${toText(doc, slashCommand)}\n\n`);
    },
  };
}

/** Slack's Web API when a bot token is set; otherwise posting fails with what is missing (a job that posts nothing still runs). */
function slackMessages(config: Config): ChannelMessages {
  if (config.slackBotToken) return webChannelMessages(createWebClient(config));
  const missing = async (): Promise<never> => {
    throw badInput("SLACK_BOT_TOKEN is not set, so nothing can be posted; add --dry-run to print instead.");
  };
  return { post: missing, update: missing };
}

/** `embedops job NAME [--dry-run]`: runs one job now through the job runner and prints its summary. */
export const jobCommand: CliCommand = {
  name: "job",
  usage: "embedops job NAME [--dry-run]",
  summary: `Run one job now (${JOBS.map((job) => job.name).join(", ")}); --dry-run prints what it would post and changes nothing.`,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { "dry-run": { type: "boolean", default: false } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw badInput(`give one job NAME (${JOBS.map((job) => job.name).join(", ")}); usage: embedops job NAME [--dry-run]`);
    const job = findJob(positionals[0]!);
    const config = loadConfig(io.env);
    setLogLevel(terminalLogLevel(io.env, config.logLevel));
    const dryRun = values["dry-run"] === true;
    const messages = dryRun ? printedMessages(io.stdout, config.slashCommand) : slackMessages(config);
    const runtime = await openRuntime(config, { messages, commands: COMMANDS });
    try {
      const result = await runJob(runtime, job, { messages, firedAt: runtime.clock.now(), dryRun, trigger: "manual" });
      if (result.outcome === "error") {
        io.stderr.write(`embedops job ${job.name}: failed: ${(result.error ?? "see the log").split("\n")[0]}\n`);
        return 1;
      }
      io.stdout.write(`${result.summary?.text ?? `${job.name} done`} (${result.durationMs} ms)\n`);
      // By hand there is no running sender to wait for: what the job queued is delivered before the command ends.
      if (!dryRun) await drainOutbox({ db: runtime.db, messages, spacingMs: config.outboxSpacingMs, leaseTtlMs: config.jobLeaseTtlMs });
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
