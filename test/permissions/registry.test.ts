import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands/index.ts";
import { NEEDS } from "../../src/domain/permissions.ts";
import { CHANGING_COMMANDS, COMMAND_SAMPLES } from "./command-samples.ts";

const ROOT = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("every registered command declares what the policy checks", () => {
  it("has a need, the one the contract gives it, and a sample in the matrix table", () => {
    expect(COMMANDS.length).toBeGreaterThanOrEqual(10);
    for (const command of COMMANDS) {
      expect(NEEDS, command.name).toContain(command.need);
      const sample = COMMAND_SAMPLES[command.name];
      if (!sample) throw new Error(`command \`${command.name}\` has no entry in test/permissions/command-samples.ts: add one`);
      expect(command.need, command.name).toBe(sample.need);
    }
    expect(new Set(COMMANDS.map((command) => command.name)).size).toBe(COMMANDS.length);
  });

  it("lets only help and whoami be used without a mapped operator", () => {
    const open = COMMANDS.filter((command) => command.need === "anyone" || command.need === "operator").map((command) => command.name);
    expect(open.sort()).toEqual(["help", "whoami"]);
  });

  it("declares a target for every command that takes an integration ID, so its group is checked", () => {
    for (const command of COMMANDS) {
      const positional = command.arguments.positional ?? [];
      const takesId = positional.some((name) => /ID$/i.test(name)) || /^\S+ ID\b/.test(command.usage);
      if (takesId) expect(command.target, `${command.name} takes an ID but declares no target`).toBeTypeOf("function");
      if (command.target) {
        // The target is the ID the caller typed, nothing else.
        const args = { filters: {}, flags: new Set<string>(), positional: positional.map((name) => (/ID$/i.test(name) ? "int_probe" : "x")), rest: [] };
        expect(command.target(args), command.name).toBe("int_probe");
        expect(["view", "run", "manage"], `${command.name} has a target but its need is not checked on a group`).toContain(command.need);
      }
      // An optional ID has no target to check a group on: only admins may use such a command.
      if (/\[ID\b/.test(command.usage) && !command.target) expect(command.need, command.name).toBe("admin");
    }
  });

  it("marks every command that changes something, so ALLOWED_CHANNELS applies", () => {
    for (const command of COMMANDS) {
      if (CHANGING_COMMANDS.includes(command.name) || command.need === "run" || command.need === "manage") {
        expect(command.changes, `${command.name} changes things`).toBe(true);
      }
    }
  });

  it("runs commands only through the dispatcher: nothing else calls execute()", () => {
    const offenders: string[] = [];
    for (const dir of ["src", "commands", "jobs"]) {
      for (const file of sources(join(ROOT, dir))) {
        const rel = relative(ROOT, file);
        if (rel === join("src", "slash", "dispatch.ts")) continue;
        // command.ts builds each command's execute from its definition's: the call is the command itself.
        if (rel === join("src", "slash", "command.ts")) {
          expect(readFileSync(file, "utf8")).not.toMatch(/(?<!definition)\.execute\s*\(/);
          continue;
        }
        if (/\.execute\s*\(/.test(readFileSync(file, "utf8"))) offenders.push(rel);
      }
    }
    expect(offenders).toEqual([]);
    expect(readFileSync(join(ROOT, "src", "slash", "dispatch.ts"), "utf8").match(/\.execute\s*\(/g)).toHaveLength(1);
  });
});
