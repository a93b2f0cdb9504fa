/** Messages between the harness and a process it measures (the bot, the bare Bolt app). */
export type ToChild = { type: "memory" } | { type: "stop" };

/** What a measured process reports to the harness. */
export type FromChild =
  | { type: "ready"; port: number }
  | { type: "memory"; rss: number; heapUsed: number; external: number }
  | { type: "failed"; message: string };

/**
 * Serves the harness from inside a child process: reports the port once listening, answers memory questions
 * with process.memoryUsage(), and stops cleanly (so --cpu-prof writes its profile) when asked.
 */
export function serveHarness(port: number, stop: () => Promise<void>): void {
  const send = (message: FromChild) => process.send?.(message);
  process.on("message", (message: ToChild) => {
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
