import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./child.ts";
import type { Figure } from "./report.ts";
import type { BenchContext, Section } from "./section.ts";

/** A figure a script reports, named by its JSON key, with its target when it has one. */
interface ScriptFigure {
  key: string;
  name: string;
  unit: string;
  target?: { text: string; met(value: number): boolean };
}

/** How the harness runs a benchmark script of its own (bench/ingest.ts, bench/housekeeping-scan.ts). */
interface ScriptSectionSpec {
  key: string;
  title: string;
  /** The section label in the table ("3 ingest"). */
  label: string;
  /** Path under bench/. */
  script: string;
  /** Its command-line arguments (may build a scale database first and pass its path). */
  args(ctx: BenchContext): Promise<string[]> | string[];
  /** The keys of the script's JSON line to report; every other numeric key is reported as it is. */
  figures: ScriptFigure[];
  /** Turns the script's stdout into figures by key; by default its last line that is a JSON object. */
  parse?(stdout: string): Record<string, unknown>;
  /** Keys that must be true (e.g. "equal"): false fails the section. */
  mustBeTrue?: string[];
}

/**
 * A section measured by a script that prints its figures as one JSON line on stdout, run in its own process
 * through tsx. While the script does not exist yet, the section reports "not measured yet" instead of failing.
 */
export function scriptSection(spec: ScriptSectionSpec): Section {
  return {
    key: spec.key,
    title: spec.title,
    async run(ctx) {
      const path = join(REPO_ROOT, "bench", spec.script);
      if (!existsSync(path)) {
        return [{ section: spec.label, name: spec.title, value: "not measured yet", unit: "", note: `bench/${spec.script} is not there yet` }];
      }
      const args = await spec.args(ctx);
      ctx.progress(`${spec.key}: npx tsx bench/${spec.script} ${args.join(" ")}`);
      const output = await runScript(path, args);
      const json = (spec.parse ?? lastJsonLine)(output);
      if (Object.keys(json).length === 0) throw new Error(`bench/${spec.script} printed nothing the harness can read; it printed:\n${output.slice(-2000)}`);
      for (const key of spec.mustBeTrue ?? []) {
        if (json[key] !== true) throw new Error(`bench/${spec.script}: ${key} is ${JSON.stringify(json[key])}, not true`);
      }
      const figures: Figure[] = [];
      const known = new Set(spec.figures.map((figure) => figure.key));
      for (const figure of spec.figures) {
        const value = json[figure.key];
        if (typeof value !== "number") continue;
        figures.push({
          section: spec.label,
          name: figure.name,
          value,
          unit: figure.unit,
          ...(figure.target ? { target: figure.target.text, met: figure.target.met(value) } : {}),
        });
      }
      const rest = Object.entries(json).filter(([key, value]) => !known.has(key) && (typeof value === "number" || typeof value === "boolean" || typeof value === "string"));
      if (rest.length) figures.push({ section: spec.label, name: "details", value: "", unit: "", note: rest.map(([key, value]) => `${key}=${String(value)}`).join(", ") });
      return figures;
    },
  };
}

/** The last line of the output that is a JSON object, parsed; {} when there is none. */
function lastJsonLine(output: string): Record<string, unknown> {
  const line = output.trim().split("\n").reverse().find((candidate) => candidate.trim().startsWith("{"));
  return line ? (JSON.parse(line) as Record<string, unknown>) : {};
}

function runScript(path: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC", LOG_LEVEL: "silent" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path} exited with ${code}:\n${(stderr || stdout).slice(-2000)}`));
    });
  });
}
