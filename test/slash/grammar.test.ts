import { describe, expect, it } from "vitest";
import { MAX_COMMAND_LENGTH, parseArguments, quote, tokenize } from "../../src/slash/grammar.ts";
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

describe("quote", () => {
  it("round-trips values through tokenize", () => {
    for (const value of ["plain", "two words", "Acme GmbH & Co"]) {
      expect(tokenize(`k:${quote(value)}`)[0]).toEqual({ key: "k", value });
    }
  });
});
