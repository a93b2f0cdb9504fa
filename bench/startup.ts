import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Figure } from "./report.ts";
import type { BenchContext, Section } from "./section.ts";

const ROOT = join(import.meta.dirname, "..");
const SECTION = "8 start-up";

/** The target: `npx embedops --help` answers in under a second. */
const HELP_TARGET_MS = 1_000;

/** Runs a command to its end (stdin `input`, then closed); resolves with its wall time in ms, failing on a non-zero exit. */
function timed(command: string, args: string[], env: Record<string, string>, input = ""): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdin.end(input);
    child.on("exit", (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.trim()}`))));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function medianOf(times: number, run: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await run());
  return median(values);
}

/**
 * 8. Start-up: how long the built CLI takes for `--help`, for `migrate` on a database already migrated, and for the
 * console's first answer, each beside its floor (Node starting and exiting, through npx where npx is used).
 */
export const startupSection: Section = {
  key: "startup",
  title: "8. Start-up of the built CLI",
  async run(ctx: BenchContext): Promise<Figure[]> {
    const repeat = ctx.options.quick ? 3 : 7;
    const dir = mkdtempSync(join(tmpdir(), "embedops-bench-startup-"));
    const env = { DATABASE_URL: `sqlite:${join(dir, "startup.sqlite")}`, TZ: "UTC" };
    try {
      ctx.progress("start-up: node and npx floors");
      const nodeFloor = await medianOf(repeat, () => timed(process.execPath, ["-e", ""], env));
      const npxFloor = await medianOf(repeat, () => timed("npx", ["--no-install", "node", "-e", ""], env));
      ctx.progress("start-up: npx embedops --help");
      const npxHelp = await medianOf(repeat, () => timed("npx", ["--no-install", "embedops", "--help"], env));
      const binHelp = await medianOf(repeat, () => timed(process.execPath, ["bin/embedops.mjs", "--help"], env));
      ctx.progress("start-up: migrate on a migrated database, first console answer");
      await timed(process.execPath, ["bin/embedops.mjs", "migrate"], env);
      const migrate = await medianOf(repeat, () => timed(process.execPath, ["bin/embedops.mjs", "migrate"], env));
      // The first console start loads the demo; the measured ones answer `list` on it and exit at end of input.
      await timed(process.execPath, ["bin/embedops.mjs", "console"], env, "help\n");
      const consoleAnswer = await medianOf(repeat, () => timed(process.execPath, ["bin/embedops.mjs", "console"], env, "list\n"));
      const floor = (value: number) => `floor: node ${Math.round(value)} ms`;
      return [
        { section: SECTION, name: "node -e '' (floor)", value: nodeFloor, unit: "ms" },
        { section: SECTION, name: "npx node -e '' (floor through npx)", value: npxFloor, unit: "ms" },
        { section: SECTION, name: "npx embedops --help: median", value: npxHelp, unit: "ms", target: `< ${HELP_TARGET_MS} ms`, met: npxHelp < HELP_TARGET_MS, note: `floor: npx ${Math.round(npxFloor)} ms` },
        { section: SECTION, name: "node bin/embedops.mjs --help: median", value: binHelp, unit: "ms", note: floor(nodeFloor) },
        { section: SECTION, name: "embedops migrate, already migrated: median", value: migrate, unit: "ms", note: floor(nodeFloor) },
        { section: SECTION, name: "embedops console, first answer (list, demo data): median", value: consoleAnswer, unit: "ms", note: floor(nodeFloor) },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
