import type { QueryInterface } from "sequelize";

/**
 * The failed runs by start, for the housekeeping error-rate rule: it first finds the integrations with enough
 * failed runs in the window (few), instead of counting every run in it (millions). Partial, so successful runs,
 * the bulk of the table, cost nothing to write.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addIndex("flow_runs", ["started_at", "integration_id"], { name: "flow_runs_errors_started", where: { status: "error" } });
}

/** Drops the index. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex("flow_runs", "flow_runs_errors_started");
}
