import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeSlackApi } from "../support/slack-api.ts";
import { TEST_SIGNING_SECRET } from "../support/slack-request.ts";
import { parseLine } from "./support.ts";

const ROOT = join(import.meta.dirname, "../..");

/** The Dockerfile read as stages: each with its COPY sources, RUN commands, ENV, and the final CMD and HEALTHCHECK. */
function readDockerfile(text: string) {
  const lines = text.replace(/\\\n\s*/g, " ").split("\n").map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
  const stages: Array<{ name: string; copies: Array<{ from?: string; src: string[]; dest: string }>; runs: string[]; env: Record<string, string>; cmd?: string[]; healthcheck?: string[]; user?: string }> = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    const stage = stages.at(-1)!;
    switch (instruction) {
      case "FROM":
        stages.push({ name: /AS (\S+)/i.exec(args)?.[1] ?? String(stages.length), copies: [], runs: [], env: {} });
        break;
      case "COPY": {
        const from = /--from=(\S+)/.exec(args)?.[1];
        const paths = args.split(/\s+/).filter((part) => !part.startsWith("--"));
        stage.copies.push({ from, src: paths.slice(0, -1), dest: paths.at(-1)! });
        break;
      }
      case "RUN":
        stage.runs.push(args);
        break;
      case "ENV":
        for (const pair of args.split(/\s+/)) stage.env[pair.split("=")[0]!] = pair.split("=").slice(1).join("=");
        break;
      case "USER":
        stage.user = args;
        break;
      case "CMD":
        stage.cmd = JSON.parse(args) as string[];
        break;
      case "HEALTHCHECK":
        stage.healthcheck = JSON.parse(args.slice(args.indexOf("CMD ") + 4)) as string[];
        break;
    }
  }
  return stages;
}

const dirs: string[] = [];
let slack: FakeSlackApi | undefined;
afterAll(async () => {
  await slack?.stop();
  // Asynchronously, like the copies: a synchronous walk of node_modules starves the test worker's RPC.
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe("the Dockerfile", () => {
  const stages = readDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
  const [build, runtime] = [stages[0]!, stages.at(-1)!];

  it("is multi-stage: npm ci, production dependencies only, a non-root user, a health check on /healthz, node dist/… as the command", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.runs.some((run) => /^npm ci\b/.test(run))).toBe(true);
    expect(build.runs.some((run) => /--omit=dev/.test(run))).toBe(true);
    expect(runtime.user).toBe("node");
    expect(runtime.cmd?.slice(0, 2)).toEqual(["node", "dist/src/main.js"]);
    expect(runtime.healthcheck?.join(" ")).toContain("/healthz");
    expect(runtime.copies.every((copy) => copy.from === build.name)).toBe(true);
  });

  // Slow (a real npm ci of the whole lock, then tsc): run with DEPLOY_TEST=1, as .ci/run does.
  it.runIf(process.env.DEPLOY_TEST === "1")(
    "its own install, build and start commands, run in a clean copy of the repository, give a bot that answers /healthz",
    async () => {
      const source = mkdtempSync(join(tmpdir(), "embedops-deploy-src-"));
      const image = mkdtempSync(join(tmpdir(), "embedops-deploy-app-"));
      dirs.push(source, image);
      // A clean copy: the files git tracks, nothing built, no node_modules.
      execFileSync("git", ["clone", "--quiet", "--no-hardlinks", ROOT, source]);
      const buildDir = join(source, "..", `${source.split("/").at(-1)}-build`);
      dirs.push(buildDir);
      mkdirSync(buildDir);
      for (const copy of build.copies) for (const src of copy.src) cpSync(join(source, src), copy.dest.endsWith("/") || copy.src.length > 1 ? join(buildDir, copy.dest, src) : join(buildDir, copy.dest), { recursive: true });
      // Asynchronously: a clean install may compile sqlite3 from source for many minutes.
      for (const run of build.runs) await promisify(execFile)("sh", ["-c", run], { cwd: buildDir, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" }, maxBuffer: 64 * 1024 * 1024 });
      for (const copy of runtime.copies)
        for (const src of copy.src) {
          const target = join(image, copy.dest);
          mkdirSync(dirname(target), { recursive: true });
          await cp(join(buildDir, src.replace(/^\/app\/?/, "")), target, { recursive: true });
        }
      // Production dependencies only: the build tools are gone.
      expect(() => execFileSync("node", ["-e", "require.resolve('typescript')"], { cwd: image, stdio: "pipe" })).toThrow();

      slack = await new FakeSlackApi().start();
      const env = { PATH: process.env.PATH ?? "", ...runtime.env, PORT: "0", SLACK_BOT_TOKEN: "xoxb-deploy-test", SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, SLACK_API_URL: slack.url, DATABASE_URL: `sqlite:${join(image, "data/embedops.sqlite")}` };
      const child = spawn(runtime.cmd![0]!, runtime.cmd!.slice(1), { cwd: image, env, stdio: ["ignore", "pipe", "pipe"] });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setInterval(() => {
          const up = stderr.split("\n").map(parseLine).find((entry) => entry?.msg === "embedops is up");
          if (up) {
            clearInterval(timer);
            resolve(up.port as number);
          }
        }, 50);
        void exited.then(() => reject(new Error(`the built bot ended early:\n${stderr}`)));
      });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // The image's own HEALTHCHECK command agrees.
      expect(() => execFileSync(runtime.healthcheck![0]!, runtime.healthcheck!.slice(1), { env: { PATH: env.PATH, PORT: String(port) }, stdio: "pipe" })).not.toThrow();
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    },
    40 * 60_000,
  );
});
