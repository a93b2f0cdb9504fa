import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { findOperatorByEmail, firstAdmin, operatorActor } from "./data/operators.ts";
import { badInput } from "./errors.ts";
import type { Runtime } from "./runtime.ts";
import type { ChannelMessages, MessageRef, Reply } from "./slash/command.ts";
import type { Doc } from "./slack/document.ts";
import { toText } from "./slack/text-renderer.ts";
import type { Actor } from "./domain/permissions.ts";

/** Channel messages printed to the console: what the bot would post, and its later updates. */
export function consoleMessages(output: Writable, slashCommand: string, width?: number): ChannelMessages {
  let counter = 0;
  const print = (heading: string, doc: Doc) => output.write(`${heading}\n${toText(doc, { slashCommand, width })}\n\n`);
  return {
    async post(channel, doc, options) {
      const ts = `console.${++counter}`;
      print(`--- posted to #${channel}${options?.threadTs ? ` (thread ${options.threadTs})` : ""} ---`, doc);
      return { channel, ts };
    },
    async update(ref: MessageRef, doc) {
      print(`--- updated message ${ref.ts} in #${ref.channel} ---`, doc);
    },
    async respond(_responseUrl: string, reply: Reply) {
      print("--- update ---", reply.doc);
    },
  };
}

/** The actor the console acts as: the operator named by --as, else the first admin. */
export async function consoleActor(runtime: Runtime, as?: string): Promise<Actor> {
  const operator = as ? await findOperatorByEmail(runtime.db, as) : await firstAdmin(runtime.db);
  if (!operator) {
    throw badInput(as ? `No operator with email ${as}: import one or set ADMIN_EMAILS.` : "There is no admin to act as: set ADMIN_EMAILS or pass --as EMAIL.");
  }
  return operatorActor(runtime.db, operator);
}

/** Strips the leading slash command, if typed: `/integrations list` and `list` are the same line. */
export function consoleLine(line: string, slashCommand: string): string {
  const trimmed = line.trim();
  if (trimmed === slashCommand || trimmed.startsWith(`${slashCommand} `)) return trimmed.slice(slashCommand.length).trim();
  return trimmed;
}

/**
 * The local console: reads commands line by line, answers each with the same handlers as Slack,
 * rendered as text, and returns at the end of input once background work has settled.
 */
export async function runConsole(runtime: Runtime, options: { as?: string; input: Readable; output: Writable; interactive?: boolean; width?: number }): Promise<void> {
  const actor = await consoleActor(runtime, options.as);
  const { output } = options;
  const slash = runtime.config.slashCommand;
  const who = actor.kind === "operator" ? `${actor.email} (${actor.role})` : "?";
  if (options.interactive) {
    output.write(`embedops console: acting as ${who}. Type \`help\`, or \`exit\` to leave.\n`);
  }
  const lines = createInterface({ input: options.input, terminal: false });
  const prompt = () => options.interactive && output.write("embedops> ");
  prompt();
  for await (const raw of lines) {
    const line = consoleLine(raw, slash);
    if (line === "exit" || line === "quit") break;
    if (line === "" || line.startsWith("#")) {
      prompt();
      continue;
    }
    const reply = await runtime.dispatcher.handle(line, actor, { transport: "console" });
    output.write(`${toText(reply.doc, { slashCommand: slash, width: options.width })}\n`);
    if (reply.file) output.write(`(file ${reply.file.filename}: ${Buffer.byteLength(reply.file.content)} bytes)\n`);
    output.write("\n");
    prompt();
  }
  lines.close();
  await runtime.background.settle(30_000);
}
