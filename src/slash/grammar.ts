import { badInput } from "../errors.ts";

/** One word of a command: a bare word, or a `key:value` filter. */
export type Token = { key: string; value: string } | { key?: undefined; value: string };

/** The longest command text we read; longer text is refused rather than parsed. */
export const MAX_COMMAND_LENGTH = 2000;

// Slack clients may turn straight quotes into typographic ones.
const QUOTES = /[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g;

/**
 * Splits command text into tokens: words separated by white space, `key:value` filters,
 * and double-quoted values that may hold spaces (`group:"Acme GmbH"`, `"two words"`).
 */
export function tokenize(text: string): Token[] {
  if (text.length > MAX_COMMAND_LENGTH) {
    throw badInput(`That command is ${text.length} characters long; at most ${MAX_COMMAND_LENGTH} are accepted.`);
  }
  const input = text.replace(QUOTES, '"');
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    while (i < input.length && /\s/.test(input[i]!)) i++;
    if (i >= input.length) break;
    let key: string | undefined;
    let value = "";
    let quoted = false;
    const start = i;
    while (i < input.length && !/\s/.test(input[i]!)) {
      const ch = input[i]!;
      if (ch === '"') {
        const end = input.indexOf('"', i + 1);
        if (end === -1) throw badInput(`A quote opened at character ${i + 1} is never closed: add the closing ".`);
        value += input.slice(i + 1, end);
        quoted = true;
        i = end + 1;
        continue;
      }
      if (ch === ":" && key === undefined && !quoted && value.length > 0 && /^[a-z_]+$/i.test(value)) {
        key = value.toLowerCase();
        value = "";
        i++;
        continue;
      }
      value += ch;
      i++;
    }
    if (key !== undefined) {
      if (value === "" && !quoted) throw badInput(`\`${input.slice(start, i)}\` has no value: write it as \`${key}:VALUE\`.`);
      tokens.push({ key, value });
    } else {
      tokens.push({ value });
    }
  }
  return tokens;
}

/** What a command accepts: its filters (with their allowed values, if a fixed set), flags and positional words. */
export interface ArgumentSpec {
  /** Filter keys and, for each, its fixed set of values (or null for any value). */
  filters?: Record<string, readonly string[] | null>;
  /** Bare words that switch something on (`stale`, `failing`). */
  flags?: readonly string[];
  /** Names of required positional words, in order (`ID`). */
  positional?: readonly string[];
  /** Whether further free words are accepted (search words, a reason). */
  rest?: boolean;
}

/** Command text parsed against an ArgumentSpec. */
export interface ParsedArguments {
  filters: Record<string, string>;
  flags: Set<string>;
  positional: string[];
  rest: string[];
}

/** Parses tokens against a spec; errors say what was wrong and what is accepted. */
export function parseArguments(command: string, tokens: Token[], spec: ArgumentSpec): ParsedArguments {
  const filters: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  const rest: string[] = [];
  const allowedFilters = spec.filters ?? {};
  const allowedFlags = spec.flags ?? [];
  const wanted = spec.positional ?? [];
  for (const token of tokens) {
    if (token.key !== undefined) {
      if (!(token.key in allowedFilters)) {
        const accepted = Object.keys(allowedFilters);
        throw badInput(
          accepted.length
            ? `\`${command}\` has no filter \`${token.key}:\`. It accepts ${accepted.map((key) => `\`${key}:\``).join(", ")}.`
            : `\`${command}\` takes no filters (\`${token.key}:${token.value}\`).`,
        );
      }
      const values = allowedFilters[token.key];
      const value = values ? token.value.toLowerCase() : token.value;
      if (values && !values.includes(value)) {
        throw badInput(`\`${token.key}:${token.value}\` is not a value \`${token.key}:\` accepts: use one of ${values.join(", ")}.`);
      }
      if (token.key in filters) throw badInput(`\`${token.key}:\` is given twice; give it once.`);
      filters[token.key] = value;
      continue;
    }
    if (positional.length < wanted.length) {
      positional.push(token.value);
      continue;
    }
    const word = token.value.toLowerCase();
    if (allowedFlags.includes(word)) {
      flags.add(word);
      continue;
    }
    if (spec.rest) {
      rest.push(token.value);
      continue;
    }
    throw badInput(`\`${command}\` does not understand \`${token.value}\`.`);
  }
  if (positional.length < wanted.length) {
    throw badInput(`\`${command}\` needs ${wanted.slice(positional.length).map((name) => `\`${name}\``).join(" and ")}.`);
  }
  return { filters, flags, positional, rest };
}

/** Quotes a value for a command line when it needs quoting: the inverse of tokenize for one value. */
export function quote(value: string): string {
  return /[\s"]/.test(value) || value === "" ? `"${value.replace(/"/g, "")}"` : value;
}
