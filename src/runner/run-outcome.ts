import type { FlowRun } from "../data/models/index.ts";
import type { Runtime } from "../runtime.ts";

/**
 * Tells Slack how manual runs went: updates the message each run's request was announced in.
 * Called after run outcomes are stored, by the run request itself and by POST /api/runs.
 */
export async function announceRunOutcomes(runtime: Runtime, runs: FlowRun[]): Promise<void> {
  void runtime;
  void runs;
}
