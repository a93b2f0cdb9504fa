import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { recordAudit } from "../data/audit.ts";
import type { Database } from "../data/database.ts";
import { findIntegration } from "../data/integrations.ts";
import { groupsByIds, namedAdmins } from "../data/operators.ts";
import { actorLabel, decide, PERMISSION_LABEL, scopeFor, type Actor, type Decision, type GroupScope } from "../domain/permissions.ts";
import { asEmbedopsError, EmbedopsError, ErrorCode, notFound } from "../errors.ts";
import { log } from "../log.ts";
import { commandsTotal, denialsTotal } from "../metrics.ts";
import { escapeMarkup, textDoc } from "../reply/document.ts";
import type { Command, CommandContext, RequestOrigin, Services } from "./command.ts";
import type { Reply } from "../reply/messages.ts";
import { parseArguments, tokenize, type ParsedArguments, type Token } from "./grammar.ts";

/** What the dispatcher needs to run commands. */
interface DispatcherDeps {
  db: Database;
  config: Config;
  clock: Clock;
  services: Services;
  commands: readonly Command[];
}

/** Runs command text for an actor: the one path every slash command, button click and console line takes. */
export interface Dispatcher {
  handle(text: string, actor: Actor, origin: RequestOrigin): Promise<Reply>;
  commands: readonly Command[];
}

/** True when a command's first argument is a filter or one of its bulk form's flag words. */
function isFilterForm(first: Token | undefined, bulk: Command): boolean {
  if (!first) return false;
  if (first.key !== undefined) return true;
  return (bulk.arguments.flags ?? []).includes(first.value.toLowerCase());
}

/** The command that answers when there is no text. */
const DEFAULT_COMMAND = "help";

/** A verdict that refuses. */
type Denial = Decision & { allowed: false };

/** Builds the dispatcher over a command registry. */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const byName = new Map(deps.commands.map((command) => [command.name, command]));
  const slash = deps.config.slashCommand;

  async function handle(text: string, actor: Actor, origin: RequestOrigin): Promise<Reply> {
    let commandName = "unknown";
    try {
      const tokens = tokenize(text.trim());
      const command = findCommand(byName, slash, tokens);
      commandName = command.name;
      const rule = policyRule(deps.config, command, origin);
      // When the verdict cannot depend on the target, give it before reading the arguments:
      // callers who may not use a command learn nothing about its grammar or about which ids exist.
      if (!command.target || actor.kind === "unmapped") {
        const early = decide(actor, command.need, rule);
        if (!early.allowed) return deny(deps, command, actor, origin, early);
      }
      const args = parseArguments(`${slash} ${command.name}`, tokens.slice(1), command.arguments);
      const integration = await loadTarget(deps.db, slash, command, args);
      const decision = decide(actor, command.need, { ...rule, groupId: integration?.groupId });
      if (!decision.allowed) return deny(deps, command, actor, origin, decision, integration?.id);
      const reply = await command.execute(commandContext(deps, actor, origin, command, integration), args);
      commandsTotal.inc({ command: command.name, outcome: "ok" });
      return reply;
    } catch (error) {
      return failure(error, commandName, actor);
    }
  }

  return { handle, commands: deps.commands };
}

/** The command the first token names (none: the default command); any other text is bad input. */
function findCommand(byName: ReadonlyMap<string, Command>, slash: string, tokens: readonly Token[]): Command {
  const first = tokens[0];
  const name = first === undefined ? DEFAULT_COMMAND : first.key === undefined ? first.value.toLowerCase() : "";
  const command = byName.get(name);
  // `run flow:f1`, `disable stale …`: the first word a filter makes it the bulk action of the same name.
  if (command?.bulk && isFilterForm(tokens[1], command.bulk)) return command.bulk;
  if (command) return command;
  const shown = first ? (first.key === undefined ? first.value : `${first.key}:${first.value}`) : "";
  throw new EmbedopsError(ErrorCode.BadInput, `\`${escapeMarkup(shown)}\` is not a command. Try \`${slash} help\` for the commands you may use.`);
}

/** What the policy weighs besides the actor and the target's group. */
function policyRule(config: Config, command: Command, origin: RequestOrigin) {
  return {
    changes: command.changes,
    // A Slack request without a channel (an App Home button) is outside every allowed channel.
    channelId: origin.transport === "slack" ? (origin.channelId ?? "") : undefined,
    allowedChannels: config.allowedChannels,
  };
}

/** The integration a targeted command acts on (undefined for other commands); an unknown id is not found. */
async function loadTarget(db: Database, slash: string, command: Command, args: ParsedArguments): Promise<CommandContext["integration"]> {
  if (!command.target) return undefined;
  const id = command.target(args);
  const integration = await findIntegration(db, id);
  if (!integration) throw notFound(`No integration \`${escapeMarkup(id)}\`. \`${slash} list\` shows the ones you may view.`);
  return integration;
}

/** What an allowed command executes with: its scope is the actor's groups for the permission it needs. */
function commandContext(deps: DispatcherDeps, actor: Actor, origin: RequestOrigin, command: Command, integration: CommandContext["integration"]): CommandContext {
  const permission = command.need === "view" || command.need === "run" || command.need === "manage" ? command.need : undefined;
  const scope: GroupScope = permission ? scopeFor(actor, permission) : { all: false, groupIds: [] };
  return {
    db: deps.db,
    config: deps.config,
    clock: deps.clock,
    actor,
    origin,
    services: deps.services,
    scope,
    integration,
    slashCommand: deps.config.slashCommand,
    commands: deps.commands,
  };
}

/** A failed command's answer: its coded message; an internal error is logged with its cause. */
function failure(error: unknown, commandName: string, actor: Actor): Reply {
  const known = asEmbedopsError(error);
  if (known.code === ErrorCode.Internal) {
    log.error({ err: error, command: commandName, actor: actorLabel(actor) }, "command failed");
  }
  commandsTotal.inc({ command: commandName, outcome: known.code });
  return { visibility: "ephemeral", doc: textDoc(`:warning: ${known.message}`) };
}

/** Refuses a request: counted, audited (an audit failure is logged, the refusal still answered) and explained. */
async function deny(deps: DispatcherDeps, command: Command, actor: Actor, origin: RequestOrigin, decision: Denial, targetId?: string): Promise<Reply> {
  commandsTotal.inc({ command: command.name, outcome: "denied" });
  denialsTotal.inc({ command: command.name, reason: decision.reason });
  const message = await denialMessage(deps, command, actor, decision);
  try {
    await recordAudit(deps.db, {
      actor,
      action: command.name,
      targetId: targetId ?? null,
      groupId: decision.groupId ?? null,
      outcome: "denied",
      detail: decision.permission ? `missing ${decision.permission}` : decision.reason,
      at: deps.clock.now(),
    });
  } catch (error) {
    log.error({ err: error, command: command.name }, "could not audit a denial");
  }
  log.info({ command: command.name, actor: actorLabel(actor), reason: decision.reason, transport: origin.transport }, "request denied");
  return { visibility: "ephemeral", doc: textDoc(`:no_entry: ${message}`) };
}

/** Why the request is refused, and whom to ask for what. */
async function denialMessage(deps: DispatcherDeps, command: Command, actor: Actor, decision: Denial): Promise<string> {
  const slash = deps.config.slashCommand;
  const admins = await namedAdmins(deps.db);
  const askAdmin = admins.length ? `an admin (${admins.join(", ")})` : "an admin";
  const you = actor.kind === "operator" ? actor.email : "you";
  switch (decision.reason) {
    case "unmapped":
      return (
        `Your Slack account is not linked to an embedops operator, so you may use only \`${slash} help\` and \`${slash} whoami\`. ` +
        `Ask ${askAdmin} to run \`${slash} link @you YOUR-EMAIL\`.`
      );
    case "not_admin":
      return `\`${slash} ${command.name}\` is for admins only. Ask ${askAdmin} if you need it done.`;
    case "channel_not_allowed":
      return `\`${slash} ${command.name}\` changes things, and that is accepted only in ${(deps.config.allowedChannels ?? []).map((id) => `<#${id}>`).join(", ")}.`;
    case "missing_permission": {
      const label = PERMISSION_LABEL[decision.permission ?? "view"];
      if (decision.groupId === undefined) {
        return `\`${slash} ${command.name}\` needs *${label}* on at least one group or partner, and you have none. Ask ${askAdmin} to run \`${slash} grant ${you} ${decision.permission} group:ID\`.`;
      }
      const [group] = await groupsByIds(deps.db, [decision.groupId]);
      const groupName = group ? `*${escapeMarkup(group.name)}* (\`${decision.groupId}\`)` : `\`${decision.groupId}\``;
      return `You need *${label}* on ${group?.kind === "partner" ? "partner" : "group"} ${groupName} for \`${command.name}\`. Ask ${askAdmin} to run \`${slash} grant ${you} ${decision.permission} group:${decision.groupId}\`.`;
    }
  }
}
