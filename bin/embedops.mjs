#!/usr/bin/env node
// The embedops CLI: runs the JavaScript that `npm install` (npm's prepare script) built into dist/.
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("embedops: dist/ is not built; run `npm install` (or `npm run build`) in the embedops folder first\n");
  process.exit(1);
}
await import(entry.href);
