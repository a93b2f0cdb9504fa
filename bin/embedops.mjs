#!/usr/bin/env node
// The embedops CLI: runs the TypeScript sources through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/index.ts");
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = code;
