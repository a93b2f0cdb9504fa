import type { BackgroundTasks } from "../background.ts";
import type { Runner } from "../runner/runner.ts";
import type { Clock } from "../clock.ts";
import type { SlackDirectory } from "../slack/identity.ts";
import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import type { IntegrationRecord } from "../data/records.ts";
import type { Actor, GroupScope, Need } from "../domain/permissions.ts";
import type { Doc } from "../slack/document.ts";
import type { ArgumentSpec, ParsedArguments } from "./grammar.ts";

/** Where a reply goes: only to the person who asked, or to the whole channel. */
export type Visibility = "ephemeral" | "in_channel";

/** What a command answers. */
export interface Reply {
  visibility: Visibility;
  doc: Doc;
  /** For button clicks: replace the message the button was on (paging, confirmations). */
  replaceOriginal?: boolean;
  /** A file to upload with the answer (export). */
  file?: { filename: string; title: string; content: Buffer | string };
}

/** A message posted to a channel, which can be updated later. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** Posting and updating channel messages: Slack's Web API, or the console's standard output. */
export interface ChannelMessages {
  /** Posts a message to a channel (or a thread of it); returns where it lives. */
  post(channel: string, doc: Doc, options?: { threadTs?: string }): Promise<MessageRef>;
  /** Replaces a posted message. */
  update(ref: MessageRef, doc: Doc): Promise<void>;
  /** Sends a reply through a response_url (Slack) or prints it (console). */
  respond?(responseUrl: string, reply: Reply): Promise<void>;
  /** Uploads a file from disk to a channel (Slack only; streamed, so its size does not matter). */
  uploadFile?(channel: string, file: FileUpload): Promise<{ fileId: string }>;
}

/** A file on disk to share in a channel. */
export interface FileUpload {
  path: string;
  filename: string;
  title: string;
  /** The message posted with the file. */
  initialComment?: string;
}

/** Services a command may use beyond the database. */
export interface Services {
  messages: ChannelMessages;
  /** Work that outlives the request (a run's outcome): shutdown waits for it. */
  background: BackgroundTasks;
  /** Slack's directory of people (users.info, user groups), when connected to Slack. */
  directory?: SlackDirectory;
  /** Sends manual runs to the flow engine and records their outcome. */
  runner: Runner;
}

/** Where a request came from. */
export interface RequestOrigin {
  transport: "slack" | "console" | "cli";
  channelId?: string;
  /** Slack's response_url for this request, if any. */
  responseUrl?: string;
  /** True when the request is a button click. */
  fromButton?: boolean;
  /** The id Slack gave the trigger (slash command or click), for idempotency. */
  triggerId?: string;
}

/** Everything a command receives: the checked actor, its scope, and the data it may touch. */
export interface CommandContext {
  db: Database;
  config: Config;
  clock: Clock;
  actor: Actor;
  origin: RequestOrigin;
  services: Services;
  /**
   * The groups the actor holds the command's permission on (for commands needing view, run or manage).
   * Collection queries take it as a required argument, so nothing can list outside it.
   */
  scope: GroupScope;
  /** The target integration, loaded and checked by the dispatcher before execute runs. */
  integration?: IntegrationRecord;
  /** The slash command's name, for replies that show commands ("/integrations"). */
  slashCommand: string;
}

/** One slash subcommand. The dispatcher parses, checks the need against the policy, then calls execute. */
export interface Command {
  name: string;
  /** The argument grammar, shown in help: `list [status:enabled|disabled] …`. */
  usage: string;
  /** One line for help. */
  summary: string;
  /** What the caller needs; with `target`, the permission is checked on that integration's group. */
  need: Need;
  /** True when the command changes something (ALLOWED_CHANNELS applies). */
  changes?: boolean;
  arguments: ArgumentSpec;
  /** The integration id whose group gates the request, if the command acts on one. */
  target?(args: ParsedArguments): string;
  execute(ctx: CommandContext, args: ParsedArguments): Promise<Reply>;
}
