import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "./child.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives, coarsely: an npm package, an embedops file, Node itself, or V8's own work. */
function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const path = url.replace(/^file:\/\//, "");
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (packageMatch) return packageMatch[1]!;
  if (path.startsWith("node:")) return "node (built-in)";
  if (path.startsWith(REPO_ROOT)) return relative(REPO_ROOT, path);
  return path;
}

/** Self time by place and by function of one .cpuprofile, idle time left out. */
function selfTimes(profile: CpuProfile): { total: number; byPlace: Map<string, number>; byFunction: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === "(idle)") continue;
    total += delta;
    const place = placeOf(node.callFrame.url, node.callFrame.functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + delta);
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${place}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + delta);
  }
  return { total, byPlace, byFunction };
}

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => `    ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}

/** Text lines summarising every .cpuprofile in a directory: where the busy (non-idle) time went. */
export function summariseProfiles(dir: string, title: string): string[] {
  if (!existsSync(dir)) return [];
  const lines: string[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".cpuprofile")).sort()) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    const { total, byPlace, byFunction } = selfTimes(profile);
    lines.push(`${title}: ${file} — ${(total / 1000).toFixed(0)} ms busy (idle left out); self time by place:`);
    lines.push(...top(byPlace, total, 12));
    lines.push("  by function:");
    lines.push(...top(byFunction, total, 15));
    lines.push(`  (full profile: ${relative(REPO_ROOT, join(dir, file))}; open it in Chrome DevTools → Performance)`);
  }
  return lines;
}
