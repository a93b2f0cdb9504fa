import { createHash } from "node:crypto";
import type { Database } from "../../src/data/database.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import type { Dispatcher } from "../../src/slash/dispatch.ts";
import type { RequestOrigin } from "../../src/slash/command.ts";

/** Values a hostile or unlucky world types: quotes, NUL, backslashes, LIKE wildcards, scripts, emoji, marks, huge strings. */
const FUZZ_VALUES: readonly string[] = [
  "'", "''", '"', "\\", "\\\\", "\\'", "\\%", "%", "_", "%%", "%_%", "a%b", "a_b", "*", "?", "[a-z]", "$1", "$foo", " $w0", ":foo", ":replacement",
  ";", "--", "/*", "*/", "' OR '1'='1", "'; DROP TABLE integrations; --", "1; SELECT 1", "\u0000", "a\u0000b", "\u0007", "\u001b[31m", "\u007f", "\u0085",
  "\u200f", "\u202e", "\u200fabc\u202e", "\u05d0\u05d1\u05d2", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "日本語", "😀", "👩‍👩‍👧", "\ud800", "\udfff",
  "null", "undefined", "NaN", "-1", "0", "1e300", "Infinity", "true", "<@U1>", "<@UADMIN|admin>", "<!subteam^S0ONCALL>", "<!subteam^S1|@x>", "<#C1>",
  "a@b.c", "admin@example.com", `${"y".repeat(300)}@example.com`, "x".repeat(4096), "z".repeat(256), "int_1", "g1", "p1", "cfg_1", "flow_1",
  "constructor", "__proto__", "toString", "prototype", "hasOwnProperty", "valueOf", "\t", "ｆｕｌｌ", "İ", "ß", "\u00a0", "\u2028", "`", "*bold*",
  "<script>alert(1)</script>", "&amp;", "{}", "[]", '{"a":1}', "WyIxZTMwMCIsIngiXQ", "eyJhbGciOiJub25lIn0.e30.", "all", "view", "run", "manage", "admin",
];

/** Filter keys, real and hostile. */
const FUZZ_KEYS: readonly string[] = [
  "status", "latest", "group", "partner", "config", "account", "user", "flow", "connector", "after", "page",
  "constructor", "__proto__", "tostring", "valueof", "hasownproperty", "prototype", "x", "a_b",
];

/** One command of the registry with arguments that work, `{id}` standing for an integration. */
export interface FuzzCommand {
  name: string;
  sample: string;
}

/** Picks an item with the random source. */
function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A value as it may be typed: bare, quoted, typographically quoted, or left open. */
function typed(random: () => number, value: string): string {
  const r = random();
  if (/\s/.test(value) || r < 0.15) return `"${value}"`;
  if (r < 0.2) return `\u201C${value}\u201D`;
  if (r < 0.23) return `"${value}`;
  return value;
}

/**
 * Fuzzed command texts for the registry, reproducible from the random source: a command (sometimes in odd case)
 * followed by a mix of its working arguments, hostile words, hostile `key:value` filters, odd quoting, and now
 * and then hundreds or a thousand words.
 */
export function* fuzzTexts(random: () => number, count: number, commands: readonly FuzzCommand[], id: string): Generator<string> {
  for (let n = 0; n < count; n++) {
    const command = pick(random, commands);
    const name = random() < 0.1 ? command.name.toUpperCase() : command.name;
    const parts: string[] = [name];
    const roll = random();
    if (roll < 0.02) {
      parts.push(...Array.from({ length: 1_000 }, () => pick(random, ["a", "%", "_", "'", "x"])));
    } else if (roll < 0.04) {
      parts.push(...Array.from({ length: 300 }, (_, i) => `w${i}`));
    } else {
      const words = Math.floor(random() * 7);
      for (let i = 0; i < words; i++) {
        const kind = random();
        if (kind < 0.3) parts.push(command.sample.replaceAll("{id}", id));
        else if (kind < 0.55) parts.push(typed(random, pick(random, FUZZ_VALUES)));
        else if (kind < 0.8) parts.push(`${pick(random, FUZZ_KEYS)}:${typed(random, pick(random, FUZZ_VALUES))}`);
        else if (kind < 0.9) parts.push(`${pick(random, FUZZ_KEYS)}:${pick(random, ["enabled", "error", "none", "g1", "cfg_1", id, "1"])}`);
        else parts.push(pick(random, ['"', '""', 'a"b"c', '"a" "b"', "key:", ":", "::", '"unclosed', "\u201C", "x:y:z", "'single quoted'"]));
      }
    }
    yield parts.join(random() < 0.05 ? "  \t" : " ");
  }
}

/** What a fuzz run found. */
export interface FuzzOutcome {
  texts: number;
  /** Answers "Something went wrong": an error the bot did not expect. */
  internalErrors: number;
  /** Exceptions out of the dispatcher, which must never throw. */
  crashes: number;
  /** The first few texts that failed, for the report. */
  examples: string[];
  ms: number;
}

/** Runs texts through the dispatcher, the path every slash command and console line takes, one at a time. */
export async function runFuzz(dispatcher: Dispatcher, actor: Actor, texts: Iterable<string>, origin: RequestOrigin = { transport: "slack", channelId: "CFUZZ" }): Promise<FuzzOutcome> {
  const started = performance.now();
  const outcome: FuzzOutcome = { texts: 0, internalErrors: 0, crashes: 0, examples: [], ms: 0 };
  for (const text of texts) {
    outcome.texts++;
    try {
      const reply = await dispatcher.handle(text, actor, origin);
      if (JSON.stringify(reply.doc).includes("Something went wrong")) {
        outcome.internalErrors++;
        if (outcome.examples.length < 10) outcome.examples.push(text.slice(0, 200));
      }
    } catch (error) {
      outcome.crashes++;
      if (outcome.examples.length < 10) outcome.examples.push(`${text.slice(0, 200)} → ${String(error)}`);
    }
  }
  outcome.ms = performance.now() - started;
  return outcome;
}

/** A digest of each table's rows (every model, rows in a stable order), by model name: equal digests, unchanged data. */
export async function tablesDigest(db: Database): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const model of Object.values(db.models).sort((a, b) => a.name.localeCompare(b.name))) {
    const rows = (await (model as { findAll(options: object): Promise<unknown[]> }).findAll({ raw: true })).map((row) => JSON.stringify(row)).sort();
    digests[model.name] = `${rows.length} rows, ${createHash("sha256").update(rows.join("\n")).digest("hex")}`;
  }
  return digests;
}
