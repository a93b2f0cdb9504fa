import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importData } from "../src/data/import.ts";
import { createTestDatabase } from "./support/database.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (outside code blocks). */
function anchors(markdown: string): Set<string> {
  const prose = markdown.replace(/```[\s\S]*?```/g, "");
  return new Set([...prose.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Every link target of the README: `[text](target)` and `<https://…>`, outside code. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...[...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!), ...[...prose.matchAll(/<(https?:[^>\s]+)>/g)].map((m) => m[1]!)];
}

describe("README.md", () => {
  it("has links, and every relative one (and its #anchor) resolves inside the repository", () => {
    const targets = links(README);
    expect(targets.length).toBeGreaterThan(2);
    for (const target of targets) {
      if (/^https?:/.test(target)) {
        expect(new URL(target).hostname, target).toMatch(/(^|\.)slack\.com$/);
        continue;
      }
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const file = path ? join(ROOT, path) : join(ROOT, "README.md");
      expect(file.startsWith(ROOT), target).toBe(true);
      expect(existsSync(file), target).toBe(true);
      if (anchor !== undefined) expect(anchors(readFileSync(file, "utf8")), target).toContain(anchor);
    }
  });

  it("names nothing outside the repository but Slack's own site", () => {
    expect(README).not.toMatch(/\.\.\/|shared\//);
    for (const url of README.match(/https?:\/\/[^\s)>`"]+/g) ?? []) {
      expect(new URL(url).hostname, url).toMatch(/(^|\.)slack\.com$|example\.com$|^YOUR-HOST$|^127\.0\.0\.1$|^localhost$/i);
    }
  });

  it("keeps its first lines true: npm install && npm start, npm test", () => {
    const code = /```sh\n([\s\S]*?)```/.exec(README)![1]!;
    expect(code).toMatch(/^npm install && npm start\s/m);
    expect(code).toMatch(/^npm test\s/m);
    const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(scripts.start).toBeTruthy();
    expect(scripts.test).toBeTruthy();
  });

  it("documents an import example file that imports as it is", async () => {
    expect(README).toContain("examples/import.json");
    const testDb = await createTestDatabase();
    const db = await testDb.open();
    try {
      const counts = await importData(db, JSON.parse(readFileSync(join(ROOT, "examples/import.json"), "utf8")), { now: new Date("2026-11-20T12:00:00Z"), timeZone: "UTC" });
      expect(counts.integrations.created).toBe(1);
      expect(counts.runs.created).toBe(2);
      expect(await db.models.Integration.count()).toBe(1);
    } finally {
      await db.close();
      await testDb.drop();
    }
  });
});
