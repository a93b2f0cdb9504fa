import type { QueryInterface } from "sequelize";

/**
 * An index over the kept verdicts by group, newest activity first: `list failing` (stale, overdue) for someone who
 * may view a few groups reads the failing integrations of those groups, not every failing one of the platform.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addIndex("integrations", ["health", "status", "group_id", "activity_at", "id"], { name: "integrations_health_group_activity" });
}

/** Drops the index. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex("integrations", "integrations_health_group_activity");
}
