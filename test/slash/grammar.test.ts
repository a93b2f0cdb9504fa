import { describe, expect, it } from "vitest";
import { MAX_ARGUMENTS, MAX_COMMAND_LENGTH, MAX_VALUE_LENGTH, parseArguments, quote, tokenize } from "../../src/slash/grammar.ts";
import { EmbedopsError } from "../../src/errors.ts";

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EmbedopsError);
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("tokenize", () => {
  it("splits words and key:value filters", () => {
    expect(tokenize("list status:enabled  stale hub")).toEqual([
      { value: "list" },
      { key: "status", value: "enabled" },
      { value: "stale" },
      { value: "hub" },
    ]);
  });

  it("keeps quoted values with spaces, straight or typographic", () => {
    expect(tokenize('list group:"Acme GmbH"')).toEqual([{ value: "list" }, { key: "group", value: "Acme GmbH" }]);
    expect(tokenize("list group:\u201CAcme GmbH\u201D")).toEqual([{ value: "list" }, { key: "group", value: "Acme GmbH" }]);
    expect(tokenize('disable int_1 "no longer used"')).toEqual([{ value: "disable" }, { value: "int_1" }, { value: "no longer used" }]);
  });

  it("lower-cases keys, keeps values and colons inside values", () => {
    expect(tokenize("list Config:cfg_1 user:a:b")).toEqual([{ value: "list" }, { key: "config", value: "cfg_1" }, { key: "user", value: "a:b" }]);
  });

  it("does not take a Slack mention or an email for a filter", () => {
    expect(tokenize("link <@U123|ada> ada@example.com")).toEqual([{ value: "link" }, { value: "<@U123|ada>" }, { value: "ada@example.com" }]);
  });

  it("refuses an unclosed quote, an empty value and an oversized text", () => {
    expect(message(() => tokenize('list group:"Acme'))).toMatch(/never closed/);
    expect(message(() => tokenize("list status:"))).toMatch(/has no value/);
    expect(message(() => tokenize("x".repeat(MAX_COMMAND_LENGTH + 1)))).toMatch(/at most 2000/);
  });

  it("reads an empty text as no tokens", () => {
    expect(tokenize("   ")).toEqual([]);
  });
});

describe("parseArguments", () => {
  const spec = { filters: { status: ["enabled", "disabled"], group: null }, flags: ["stale"], positional: [], rest: true } as const;

  it("collects filters, flags and words", () => {
    const parsed = parseArguments("/integrations list", tokenize('status:Enabled group:"Acme GmbH" stale hubspot'), spec);
    expect(parsed.filters).toEqual({ status: "enabled", group: "Acme GmbH" });
    expect([...parsed.flags]).toEqual(["stale"]);
    expect(parsed.rest).toEqual(["hubspot"]);
  });

  it("names an unknown filter and what is accepted", () => {
    expect(message(() => parseArguments("/integrations list", tokenize("colour:red"), spec))).toBe(
      "`/integrations list` has no filter `colour:`. It accepts `status:`, `group:`.",
    );
  });

  it("names a bad value and the values accepted", () => {
    expect(message(() => parseArguments("/integrations list", tokenize("status:maybe"), spec))).toMatch(/use one of enabled, disabled/);
  });

  it("refuses a filter given twice", () => {
    expect(message(() => parseArguments("/integrations list", tokenize("status:enabled status:disabled"), spec))).toMatch(/given twice/);
  });

  it("requires positional words and refuses extra words where none are accepted", () => {
    const show = { positional: ["ID"] } as const;
    expect(message(() => parseArguments("/integrations show", [], show))).toMatch(/needs `ID`/);
    expect(message(() => parseArguments("/integrations show", tokenize("int_1 extra"), show))).toMatch(/does not understand `extra`/);
    expect(parseArguments("/integrations show", tokenize("int_1"), show).positional).toEqual(["int_1"]);
  });
});

describe("inputs refused at the edge", () => {
  const spec = { filters: { status: ["enabled", "disabled"], group: null, after: null, page: null }, flags: ["stale"], rest: true };

  it("matches filter keys as own keys only", () => {
    for (const key of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
      expect(message(() => parseArguments("/integrations list", tokenize(`${key}:x`), spec))).toMatch(new RegExp(`has no filter \`${key.toLowerCase()}:\``));
    }
    expect(message(() => parseArguments("/integrations auths", tokenize("constructor:x"), { filters: {} }))).toMatch(/takes no filters/);
  });

  it("refuses control characters, NUL included, and says where", () => {
    expect(message(() => tokenize("list a\u0000b"))).toBe("That command holds a control character (U+0000) at character 7; type it again without it.");
    expect(message(() => tokenize("list \u001b[31m"))).toMatch(/U\+001B/);
    expect(message(() => tokenize("list \u007f"))).toMatch(/U\+007F/);
    // Tabs and line breaks are white space; right-to-left marks and emoji are text.
    expect(tokenize("list\ta\nb\r\nc \u200f\u05d0 \u{1F600}").map((t) => t.value)).toEqual(["list", "a", "b", "c", "\u200f\u05d0", "\u{1F600}"]);
  });

  it(`takes at most ${MAX_ARGUMENTS} search words and filters, not counting the paging state`, () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");
    expect(parseArguments("/integrations list", tokenize(`status:enabled ${words(19)}`), spec).rest).toHaveLength(19);
    expect(parseArguments("/integrations list", tokenize(`${words(20)} after:abc page:2`), spec).rest).toHaveLength(20);
    expect(message(() => parseArguments("/integrations list", tokenize(`status:enabled ${words(20)}`), spec))).toBe(
      "`/integrations list` takes at most 20 search words and filters; this one has 21.",
    );
    expect(message(() => parseArguments("/integrations list", tokenize(Array(900).fill("a").join(" ")), spec))).toMatch(/this one has 900/);
    // A reason is free text, bounded by its length, not by its words.
    const reason = { positional: ["ID"], rest: true, restIsText: true };
    expect(parseArguments("/integrations disable", tokenize(`int_1 ${words(40)}`), reason).rest).toHaveLength(40);
  });

  it(`refuses ids, emails, names and filter values longer than their columns (${MAX_VALUE_LENGTH})`, () => {
    const long = "a".repeat(MAX_VALUE_LENGTH + 45);
    expect(parseArguments("/integrations list", tokenize(`group:${"a".repeat(MAX_VALUE_LENGTH)}`), spec).filters.group).toHaveLength(MAX_VALUE_LENGTH);
    expect(message(() => parseArguments("/integrations list", tokenize(`group:${long}`), spec))).toBe(
      `\`group:aaaaaaaaaaaaaaaaaaaa…\` is 300 characters long; an id, email, name or search word has at most 255.`,
    );
    expect(message(() => parseArguments("/integrations link", tokenize(`<@U1> ${long}@example.com`), { positional: ["@user", "EMAIL"] }))).toMatch(/is 312 characters long/);
    expect(message(() => parseArguments("/integrations list", tokenize(long), spec))).toMatch(/is 300 characters long/);
  });
});

describe("quote", () => {
  it("round-trips values through tokenize", () => {
    for (const value of ["plain", "two words", "Acme GmbH & Co"]) {
      expect(tokenize(`k:${quote(value)}`)[0]).toEqual({ key: "k", value });
    }
  });
});
