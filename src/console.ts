import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { findOperatorByEmail, firstAdmin, operatorActor } from "./data/operators.ts";
import { badInput } from "./errors.ts";
import { setLogSink } from "./log.ts";
import type { Runtime } from "./runtime.ts";
import type { ChannelMessages, MessageRef, Reply } from "./reply/messages.ts";
import type { Doc } from "./reply/document.ts";
import { toText } from "./slack/text-renderer.ts";
import type { Actor } from "./domain/permissions.ts";

/** Where the console's log lines go while a person types at it. */
const CONSOLE_LOG_FILE = "data/embedops.log";

/**
 * The console's screen: text written while a prompt is showing goes above the prompt, and the line being
 * typed is shown again under it, so that nothing lands in the middle of what a person types.
 */
export class ConsoleScreen {
  private prompt?: Interface;
  constructor(readonly output: Writable) {}

  /** From now on, prints above this readline prompt. */
  attach(prompt: Interface): void {
    this.prompt = prompt;
  }

  /** Prints plainly again. */
  detach(): void {
    this.prompt = undefined;
  }

  /** Prints text, above the prompt while one is showing. */
  print(text: string): void {
    if (!this.prompt) {
      this.output.write(text);
      return;
    }
    clearLine(this.output, 0);
    cursorTo(this.output, 0);
    this.output.write(text.endsWith("\n") ? text : `${text}\n`);
    this.prompt.prompt(true);
  }
}

/** Channel messages printed to the console: what the bot would post, and its later updates. */
export function consoleMessages(output: Writable | ConsoleScreen, slashCommand: string, width?: number): ChannelMessages {
  let counter = 0;
  const screen = output instanceof ConsoleScreen ? output : new ConsoleScreen(output);
  const print = (heading: string, doc: Doc) => screen.print(`${heading}\n${toText(doc, { slashCommand, width })}\n\n`);
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
function consoleLine(line: string, slashCommand: string): string {
  const trimmed = line.trim();
  if (trimmed === slashCommand || trimmed.startsWith(`${slashCommand} `)) return trimmed.slice(slashCommand.length).trim();
  return trimmed;
}

/**
 * The local console: reads commands line by line, answers each with the same handlers as Slack,
 * rendered as text, and returns at the end of input once background work has settled.
 */
export async function runConsole(
  runtime: Runtime,
  options: { as?: string; input: Readable; output: Writable; interactive?: boolean; width?: number; screen?: ConsoleScreen; logFile?: string },
): Promise<void> {
  const actor = await consoleActor(runtime, options.as);
  const { output } = options;
  const slash = runtime.config.slashCommand;
  const who = actor.kind === "operator" ? `${actor.email} (${actor.role})` : "?";
  const screen = options.screen ?? new ConsoleScreen(output);
  if (options.interactive) {
    // Log lines would land inside the line being typed: at a terminal they go to a file.
    const logFile = options.logFile ?? CONSOLE_LOG_FILE;
    mkdirSync(dirname(logFile), { recursive: true });
    setLogSink((line) => appendFileSync(logFile, line));
    output.write(`embedops console: acting as ${who}. Type help, or exit to leave. Logs go to ${logFile}.\n`);
  }
  const terminal = Boolean(options.interactive && (output as { isTTY?: boolean }).isTTY);
  const lines = createInterface({ input: options.input, output: terminal ? output : undefined, terminal, prompt: "embedops> " });
  const prompt = () => {
    if (terminal) {
      screen.attach(lines);
      lines.prompt();
    } else if (options.interactive) output.write("embedops> ");
  };
  try {
    prompt();
    for await (const raw of lines) {
      // While an answer is being printed there is no prompt to keep clear of.
      screen.detach();
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
  } finally {
    screen.detach();
    lines.close();
  }
  // Confirmed bulk actions finish before the console exits (a batch waiting for the engine's reports goes on at the next start).
  await runtime.batchWorker.idle();
  await runtime.background.settle(30_000);
  if (options.interactive) setLogSink();
}
