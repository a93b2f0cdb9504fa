import { COMMANDS } from "../../commands/index.ts";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { JOBS } from "../../jobs/index.ts";
import { findJob, runJob } from "../../jobs/runner.ts";
import { drainOutbox } from "../outbox/sender.ts";
import { loadConfig, type Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import { pendingCount } from "../data/outbox.ts";
import { badInput } from "../errors.ts";
import { setLogLevel, withLogContext } from "../log.ts";
import { openRuntime } from "../runtime.ts";
import type { ChannelMessages } from "../reply/messages.ts";
import { slackFailureError } from "../slack/slack-errors.ts";
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

/**
 * By hand there is no running sender to wait for: what the job queued is delivered before the command ends, and a
 * message Slack refused is said with what to do (exit 1). Without a bot token it waits in the outbox for the bot.
 */
async function deliverQueued(db: Database, config: Config, messages: ChannelMessages, jobName: string, stderr: Writable): Promise<number> {
  if (!config.slackBotToken) {
    const waiting = await pendingCount(db);
    if (waiting === 0) return 0;
    stderr.write(`embedops job ${jobName}: SLACK_BOT_TOKEN is not set, so nothing can be posted: ${waiting} message(s) wait in the outbox for the bot; add --dry-run to print instead.\n`);
    return 1;
  }
  const { failed } = await withLogContext({ job: jobName }, () => drainOutbox({ db, messages, spacingMs: config.outboxSpacingMs, leaseTtlMs: config.jobLeaseTtlMs }));
  for (const { failure, method, channel } of failed) stderr.write(`embedops job ${jobName}: failed: ${slackFailureError(failure, { method, channel }).message}\n`);
  return failed.length ? 1 : 0;
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
      return dryRun ? 0 : await deliverQueued(runtime.db, config, messages, job.name, io.stderr);
    } finally {
      await runtime.close();
    }
  },
};
