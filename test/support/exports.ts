import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/**
 * `export` outside Slack writes its CSV under the system's temporary folder and leaves it there: it is the answer.
 * A test file that runs it often sends those files to a folder of its own, removed when the file ends, and puts
 * TMPDIR back as it was.
 */
export function keepExportsApart(): void {
  const previous = process.env.TMPDIR;
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "embedops-exports-"));
    process.env.TMPDIR = dir;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}
