import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const SOURCES = ["src", "commands", "jobs"];

/** The newest modification time among the TypeScript sources the build compiles, and its config. */
function newestSource(): number {
  let newest = Math.max(statSync(join(ROOT, "tsconfig.json")).mtimeMs, statSync(join(ROOT, "tsconfig.build.json")).mtimeMs);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCES) walk(join(ROOT, dir));
  return newest;
}

/**
 * Vitest's global setup: tests that start real processes run the built JavaScript (dist/), as `npm start` does,
 * so it is built once before the suite whenever a source is newer than the last build.
 */
export default function setup(): void {
  const stamp = join(ROOT, "dist/src/main.js");
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) return;
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
}
