import { badInput } from "../errors.ts";

/** One word of a command: a bare word, or a `key:value` filter. */
export type Token = { key: string; value: string } | { key?: undefined; value: string };

/** The longest command text we read; longer text is refused rather than parsed. */
export const MAX_COMMAND_LENGTH = 2000;

/** The most search words, filters and flags one command takes. */
export const MAX_ARGUMENTS = 20;

/** The longest id, email, name or filter value: the length of the columns they are compared with or stored in. */
export const MAX_VALUE_LENGTH = 255;

/** The paging state a `Next page` button carries (`after:` cursor, `page:` number): not typed, so not counted. */
const PAGING_KEYS = new Set(["after", "page"]);
/** The longest paging cursor: an encoded timestamp and id. */
const MAX_CURSOR_LENGTH = 512;

/** Control characters (NUL included); tabs and line breaks are white space and stay allowed. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

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
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw badInput(`That command holds a control character (U+${code}) at character ${control.index + 1}; type it again without it.`);
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
  readonly filters?: Readonly<Record<string, readonly string[] | null>>;
  /** Bare words that switch something on (`stale`, `failing`). */
  readonly flags?: readonly string[];
  /** Names of required positional words, in order (`ID`). */
  readonly positional?: readonly string[];
  /** Whether further free words are accepted (search words, a reason). */
  readonly rest?: boolean;
  /** The further words are one free text (a reason), bounded by its length rather than counted as search words. */
  readonly restIsText?: boolean;
}

/** A filter's parsed value: one of its fixed values, or any text. */
type FilterValue<Values> = Values extends readonly (infer Value)[] ? Value : string;

/** The filters a spec accepts, each typed by its values; absent when not given. */
type FiltersOf<S extends ArgumentSpec> = { [Key in keyof NonNullable<S["filters"]>]?: FilterValue<NonNullable<S["filters"]>[Key]> };

/** The flags a spec accepts. */
type FlagsOf<S extends ArgumentSpec> = NonNullable<S["flags"]> extends readonly (infer Flag)[] ? Flag : never;

/** One string per positional word the spec names (all are required). */
type PositionalOf<S extends ArgumentSpec> = S extends { positional: infer Names extends readonly string[] } ? { readonly [Index in keyof Names]: string } : readonly string[];

/** Command text parsed against an ArgumentSpec, typed by it: `{ positional: ["ID"] }` yields `positional: [string]`. */
export interface ParsedArguments<S extends ArgumentSpec = ArgumentSpec> {
  filters: FiltersOf<S>;
  flags: ReadonlySet<FlagsOf<S>>;
  positional: PositionalOf<S>;
  rest: string[];
}

/** Refuses more than MAX_ARGUMENTS search words and filters (paging state and a free-text reason not counted). */
function checkArgumentCount(command: string, tokens: Token[], spec: ArgumentSpec): void {
  const words = tokens.filter((token) => token.key === undefined).length;
  const filterCount = tokens.filter((token) => token.key !== undefined && !PAGING_KEYS.has(token.key)).length;
  const counted = filterCount + (spec.restIsText ? 0 : Math.max(0, words - (spec.positional?.length ?? 0)));
  if (counted > MAX_ARGUMENTS) {
    throw badInput(`\`${command}\` takes at most ${MAX_ARGUMENTS} search words and filters; this one has ${counted}.`);
  }
}

/** Parses tokens against a spec; errors say what was wrong and what is accepted. */
export function parseArguments<S extends ArgumentSpec>(command: string, tokens: Token[], spec: S): ParsedArguments<S> {
  const filters: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  const rest: string[] = [];
  const allowedFilters = spec.filters ?? {};
  const allowedFlags = spec.flags ?? [];
  const wanted = spec.positional ?? [];
  checkArgumentCount(command, tokens, spec);
  for (const [index, token] of tokens.entries()) {
    const limit = token.key !== undefined && PAGING_KEYS.has(token.key) ? MAX_CURSOR_LENGTH : MAX_VALUE_LENGTH;
    const freeText = spec.restIsText && token.key === undefined && index >= wanted.length;
    if (token.value.length > limit && !freeText) {
      const shown = token.key === undefined ? token.value.slice(0, 20) : `${token.key}:${token.value.slice(0, 20)}`;
      throw badInput(`\`${shown}…\` is ${token.value.length} characters long; an id, email, name or search word has at most ${MAX_VALUE_LENGTH}.`);
    }
    if (token.key !== undefined) {
      // Own keys only: `constructor:` or `__proto__:` must not find what every object inherits.
      if (!Object.hasOwn(allowedFilters, token.key)) {
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
      if (Object.hasOwn(filters, token.key)) throw badInput(`\`${token.key}:\` is given twice; give it once.`);
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
  // The checks above are what the type claims: every filter key and value, flag and positional word is the spec's.
  return { filters, flags, positional, rest } as unknown as ParsedArguments<S>;
}

/** Quotes a value for a command line when it needs quoting: the inverse of tokenize for one value. */
export function quote(value: string): string {
  return /[\s"]/.test(value) || value === "" ? `"${value.replace(/"/g, "")}"` : value;
}
