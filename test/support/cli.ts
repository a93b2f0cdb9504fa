import { Readable, Writable } from "node:stream";
import { runCli } from "../../src/cli/index.ts";

/** What one `embedops …` call in this process printed, and its exit code. */
interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `embedops ARGV` in this process, as bin/embedops.mjs does, with no input and its output captured. */
export async function captureCli(argv: string[], env: Record<string, string>): Promise<CliResult> {
  let out = "";
  let err = "";
  const sink = (append: (text: string) => void) => new Writable({ write: (chunk, _encoding, done) => (append(String(chunk)), done()) });
  const code = await runCli(argv, {
    env: { LOG_LEVEL: "silent", ...env },
    stdin: Readable.from([]),
    stdout: sink((text) => (out += text)),
    stderr: sink((text) => (err += text)),
  });
  return { code, out, err };
}
