import type { QueryInterface } from "sequelize";

/**
 * An index over the kept verdicts in id order with the group: the housekeeping report counts its findings per
 * group from the index alone, and sums their runs from the roll-up in the roll-up's own order.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addIndex("integrations", ["health", "status", "id", "group_id"], { name: "integrations_health_id_group" });
}

/** Drops the index. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex("integrations", "integrations_health_id_group");
}
