import type { BackgroundTasks } from "../background.ts";
import type { Runner } from "../runner/runner.ts";
import type { Clock } from "../clock.ts";
import type { SlackDirectory } from "../slack/identity.ts";
import type { Config } from "../config.ts";
import type { Database } from "../data/database.ts";
import type { IntegrationRecord } from "../data/records.ts";
import type { Actor, GroupScope, Need } from "../domain/permissions.ts";
import type { ChannelMessages, Reply } from "../reply/messages.ts";
import type { ArgumentSpec, ParsedArguments } from "./grammar.ts";
import { EmbedopsError, ErrorCode } from "../errors.ts";

/** Services a command may use beyond the database. */
export interface Services {
  messages: ChannelMessages;
  /** Work that outlives the request (a run's outcome): shutdown waits for it. */
  background: BackgroundTasks;
  /** Slack's directory of people (users.info, user groups), when connected to Slack. */
  directory?: SlackDirectory;
  /** Sends manual runs to the flow engine and records their outcome. */
  runner: Runner;
  /** The bulk-action worker, woken when a batch is ready to start. */
  batchWorker?: { kick(): void };
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
  /** Every command the dispatcher serves, in the order help lists them. */
  commands: readonly Command[];
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
  /** The integration id whose group gates the request, if the command acts on one (its first positional word). */
  target?(args: ParsedArguments): string;
  /** The same command with filters (the first word a filter): a bulk action, dispatched instead. */
  bulk?: Command;
  execute(ctx: CommandContext, args: ParsedArguments): Promise<Reply>;
}

/** A command's definition, its arguments typed by its spec. */
type CommandDefinition<S extends ArgumentSpec> = Omit<Command, "arguments" | "target" | "execute"> & {
  arguments: S;
  execute(ctx: CommandContext, args: ParsedArguments<S>): Promise<Reply>;
};

/** The context of a command that acts on one integration: the dispatcher has loaded and checked it. */
type TargetContext = CommandContext & { integration: IntegrationRecord };

/** A command acting on one integration, named by its first positional word (`show ID`). */
type TargetedDefinition<S extends ArgumentSpec> = Omit<Command, "arguments" | "target" | "execute"> & {
  arguments: S & { positional: readonly [string, ...string[]] };
  execute(ctx: TargetContext, args: ParsedArguments<S>): Promise<Reply>;
};

/**
 * A command whose `execute` gets its arguments typed by its spec. The dispatcher parses every request with the
 * command's own `arguments`, so the arguments it hands over are of that spec: the one place this is asserted.
 */
export function defineCommand<const S extends ArgumentSpec>(definition: CommandDefinition<S>): Command {
  return { ...definition, execute: (ctx, args) => definition.execute(ctx, args as ParsedArguments<S>) };
}

/** A command acting on one integration: the dispatcher loads it from the first positional word and checks the need on its group. */
export function defineTargetedCommand<const S extends ArgumentSpec>(definition: TargetedDefinition<S>): Command {
  return {
    ...definition,
    target: (args) => {
      const id = args.positional[0];
      if (id === undefined) throw new EmbedopsError(ErrorCode.Internal, `\`${definition.name}\` was dispatched without its ID`);
      return id;
    },
    execute: (ctx, args) => {
      const integration = ctx.integration;
      if (!integration) throw new EmbedopsError(ErrorCode.Internal, `\`${definition.name}\` was dispatched without loading its integration`);
      return definition.execute({ ...ctx, integration }, args as ParsedArguments<S>);
    },
  };
}
