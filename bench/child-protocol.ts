import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/** Messages between the harness and a process it measures (the bot, the bare Bolt app). */
export type ToChild = { type: "memory" } | { type: "stop" } | { type: "profile-start" } | { type: "profile-stop"; path: string };

/** What a measured process reports to the harness. */
export type FromChild =
  | { type: "ready"; port: number }
  | { type: "memory"; rss: number; heapUsed: number; external: number }
  | { type: "failed"; message: string }
  | { type: "profiled"; path: string };

/**
 * Serves the harness from inside a child process: reports the port once listening, answers memory questions
 * with process.memoryUsage(), profiles its own CPU between two messages (the measured window only, not
 * start-up), and stops cleanly when asked.
 */
export function serveHarness(port: number, stop: () => Promise<void>): void {
  const send = (message: FromChild) => process.send?.(message);
  let session: Session | undefined;
  process.on("message", async (message: ToChild) => {
    if (message.type === "profile-start") {
      session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 200 });
      await session.post("Profiler.start");
      send({ type: "profiled", path: "" });
      return;
    }
    if (message.type === "profile-stop" && session) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(message.path, JSON.stringify(profile));
      session.disconnect();
      session = undefined;
      send({ type: "profiled", path: message.path });
      return;
    }
    if (message.type === "memory") {
      const usage = process.memoryUsage();
      send({ type: "memory", rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external });
    } else if (message.type === "stop") {
      void stop()
        .catch(() => undefined)
        .finally(() => process.exit(0));
    }
  });
  // The harness going away must not leave a bot behind.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", port });
}

/** Tells the harness a child could not start, then exits. */
export function failStart(error: unknown): never {
  process.send?.({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromChild);
  process.exit(1);
}
