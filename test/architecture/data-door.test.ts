import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

/** The production code: everything but tests, benchmarks and the data layer itself. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const OUTSIDE_DATA = ["src", "commands", "jobs"]
  .flatMap((dir) => sources(join(ROOT, dir)))
  .filter((path) => !relative(ROOT, path).startsWith(join("src", "data") + "/"));

/** The specifiers of every import and export-from of a source file. */
function imports(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

/** The data layer's internals: what only src/data/ may reach. */
function isInternal(from: string, specifier: string): string | null {
  if (specifier === "sequelize" || specifier.startsWith("sequelize/") || specifier === "umzug" || specifier === "pg" || specifier === "sqlite3") return `the ${specifier} package`;
  if (!specifier.startsWith(".")) return null;
  const target = relative(ROOT, resolve(dirname(from), specifier));
  if (target.startsWith("src/data/models/") || target.startsWith("src/data/migrations/")) return target;
  return null;
}

describe("the data layer is the only door to the database", () => {
  it("is what the guard reads: every file of src/, commands/ and jobs/ outside src/data/", () => {
    expect(OUTSIDE_DATA.length).toBeGreaterThan(50);
    expect(imports(`import { a } from "./x.ts";\nimport type { B } from "../y.ts";\nexport { c } from "./z.ts";`)).toEqual(["./x.ts", "../y.ts", "./z.ts"]);
    expect(isInternal(join(ROOT, "commands/x.ts"), "../src/data/models/index.ts")).toBe("src/data/models/index.ts");
    expect(isInternal(join(ROOT, "src/api/x.ts"), "sequelize")).toBe("the sequelize package");
    expect(isInternal(join(ROOT, "src/api/x.ts"), "../data/integrations.ts")).toBeNull();
  });

  it("has no import of models, migrations or the ORM from outside src/data/", () => {
    const offenders = OUTSIDE_DATA.flatMap((path) =>
      imports(readFileSync(path, "utf8")).flatMap((specifier) => {
        const internal = isInternal(path, specifier);
        return internal ? [`${relative(ROOT, path)} imports ${internal}`] : [];
      }),
    );
    expect(offenders).toEqual([]);
  });

  it("has no use of the Sequelize instance or its models from outside src/data/", () => {
    const offenders = OUTSIDE_DATA.flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .flatMap((line, i) => (/\.(models|sequelize)\b/.test(line) ? [`${relative(ROOT, path)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
