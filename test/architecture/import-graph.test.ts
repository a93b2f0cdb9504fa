import { join } from "node:path";
import { createRequire } from "node:module";
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const require = createRequire(import.meta.url);
const rules = require(join(ROOT, ".dependency-cruiser.cjs")) as { forbidden: unknown[]; options: Record<string, unknown> };

/** The violations of .dependency-cruiser.cjs over `paths`, as `rule: from → to` lines. */
async function violations(paths: string[], options: Record<string, unknown> = {}): Promise<string[]> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const result = await cruise(paths, { ...rules.options, ...options, validate: true, ruleSet: { forbidden: rules.forbidden } } as never);
    const output = result.output as ICruiseResult;
    return output.summary.violations.map((v: IViolation) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(" → ")})` : ""}`);
  } finally {
    process.chdir(cwd);
  }
}

describe("the import graph", () => {
  it("has no cycle, no arrow from core up to commands or jobs, no command importing another, no reach into the data layer's models", async () => {
    expect(await violations(["src", "commands", "jobs"])).toEqual([]);
  }, 60_000);

  it("is read for real: the rules catch a cycle", async () => {
    // The fixtures sit under test/, which the rules leave out of the real graph.
    const found = await violations(["test/architecture/fixtures"], { exclude: { path: "^node_modules/" } });
    expect(found.some((line) => line.startsWith("no-circular: test/architecture/fixtures/"))).toBe(true);
  }, 60_000);
});
