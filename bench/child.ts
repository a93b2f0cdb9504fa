import { fork, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FromChild, ToChild } from "./child-protocol.ts";
import { BENCH_DATA_DIR } from "./scale-db.ts";

/** The repository root: children run from it so `--import tsx` resolves. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Resident and heap memory of a measured process, in bytes. */
export interface ChildMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

/** A measured process: where it listens, its memory on demand, and how to stop it. */
export interface MeasuredProcess {
  name: string;
  pid: number;
  baseUrl: string;
  /** Where its stderr (its log) goes. */
  logPath: string;
  memory(): Promise<ChildMemory>;
  /** Starts sampling its CPU (the measured window only); a no-op unless it was started with a profile directory. */
  profileStart(): Promise<void>;
  /** Stops sampling and writes `<dir>/<name>.cpuprofile`. */
  profileStop(): Promise<void>;
  /** Stops it cleanly and waits for its exit (and its CPU profile, when one was asked for). */
  stop(): Promise<void>;
}

/**
 * Starts `bench/<script>` in its own Node process through tsx, with exactly the environment given on top of
 * PATH and HOME (nothing leaks in from the harness's shell), and waits until it listens.
 */
export async function startMeasured(name: string, script: string, env: Record<string, string>, options: { cpuProfDir?: string } = {}): Promise<MeasuredProcess> {
  const logDir = join(BENCH_DATA_DIR, "logs");
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${name}.log`);
  const logFd = openSync(logPath, "w");
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  const child: ChildProcess = fork(join(REPO_ROOT, "bench", script), [], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC", ...env },
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", logFd, logFd, "ipc"],
  });
  closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (message: FromChild) => {
      if (message.type === "ready") resolve(message.port);
      if (message.type === "failed") reject(new Error(`${name} did not start: ${message.message}`));
    };
    child.on("message", onMessage);
    void exited.then((code) => reject(new Error(`${name} exited with ${code} before it listened; its log:\n${tail(logPath)}`)));
  });
  const ask = (message: ToChild) => child.send(message);
  const profiled = (message: ToChild) =>
    new Promise<void>((resolve) => {
      const onMessage = (answer: FromChild) => {
        if (answer.type !== "profiled") return;
        child.off("message", onMessage);
        resolve();
      };
      child.on("message", onMessage);
      ask(message);
    });
  return {
    name,
    pid: child.pid!,
    baseUrl: `http://127.0.0.1:${port}`,
    logPath,
    memory: () =>
      new Promise((resolve) => {
        const onMessage = (message: FromChild) => {
          if (message.type !== "memory") return;
          child.off("message", onMessage);
          resolve({ rss: message.rss, heapUsed: message.heapUsed, external: message.external });
        };
        child.on("message", onMessage);
        ask({ type: "memory" });
      }),
    profileStart: async () => {
      if (options.cpuProfDir) await profiled({ type: "profile-start" });
    },
    profileStop: async () => {
      if (options.cpuProfDir) await profiled({ type: "profile-stop", path: join(options.cpuProfDir, `${name}.cpuprofile`) });
    },
    async stop() {
      if (child.exitCode !== null) return;
      ask({ type: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last lines of a log file, for an error message. */
export function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
