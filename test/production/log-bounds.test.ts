import { describe, expect, it } from "vitest";
import { bound, buildLogger, cutString, MAX_LOG_STRING } from "../../src/log.ts";

describe("bounded log fields", () => {
  it("cuts long strings with a marker saying how much went", () => {
    expect(cutString("abc")).toBe("abc");
    const cut = cutString("x".repeat(MAX_LOG_STRING + 248113));
    expect(cut).toBe(`${"x".repeat(MAX_LOG_STRING)}…[cut 248113 chars]`);
  });

  it("never keeps a Sequelize error's statement, parameters or driver error whole", () => {
    const error = Object.assign(new Error("SQLITE_ERROR: Expression tree is too large"), {
      sql: `SELECT * FROM integrations WHERE ${"name LIKE '%secret-word%' AND ".repeat(5_000)}1`,
      parameters: ["secret-word", "another"],
      original: Object.assign(new Error("Expression tree is too large"), { code: "SQLITE_ERROR", sql: "SELECT everything" }),
    });
    const out = bound({ err: error }) as { err: Record<string, unknown> };
    expect(out.err.sql).toMatch(/^SELECT \* FROM integrations .*…\[cut \d+ chars\]$/);
    expect(String(out.err.sql).length).toBeLessThan(300);
    expect(out.err).not.toHaveProperty("parameters");
    expect(out.err.parameterCount).toBe(2);
    expect(out.err.original).toEqual({ message: "Expression tree is too large", code: "SQLITE_ERROR" });
    expect(JSON.stringify(out).length).toBeLessThan(5_000);
  });

  it("caps depth, keys and items, and survives cycles", () => {
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    const out = bound({ cyclic, list: Array.from({ length: 1_000 }, (_, i) => i), deep: { a: { b: { c: { d: { e: { f: 1 } } } } } } }) as Record<string, unknown>;
    expect((out.cyclic as Record<string, unknown>).self).toBe("[circular]");
    expect(out.list as unknown[]).toHaveLength(21);
    expect((out.list as unknown[]).at(-1)).toBe("…[cut 980 items]");
    expect(JSON.stringify(out.deep)).toContain("[too deep]");
  });
});

describe("the process logger", () => {
  it("writes bounded lines, and a failure while logging is dropped, never thrown", () => {
    const lines: string[] = [];
    const logger = buildLogger("info", { write: (line: string) => void lines.push(line) });
    const hostile = {
      get boom(): never {
        throw new Error("a getter that throws");
      },
    };
    expect(() => logger.error({ hostile }, "never written")).not.toThrow();
    expect(lines).toEqual([]);
    logger.error({ err: new Error("x".repeat(1_000_000)), token: "xoxb-1-2-abc" }, "a failure");
    logger.error(new Error("y".repeat(1_000_000)));
    logger.info("z".repeat(1_000_000));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.length).toBeLessThan(8_000);
    const [failure, bare, long] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failure).toMatchObject({ msg: "a failure", token: "[redacted]", err: { message: expect.stringMatching(/…\[cut 998000 chars\]$/) } });
    expect(bare!.msg).toMatch(/^y+…\[cut 998000 chars\]$/);
    expect(long!.msg).toMatch(/^z+…\[cut 998000 chars\]$/);
  });
});
