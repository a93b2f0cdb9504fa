import { DataTypes, type QueryInterface } from "sequelize";

/** Who asked for a manual run in Slack, on the run itself: its announcement mentions them without reading the audit log. */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("flow_runs", "requested_by_slack_user_id", { type: DataTypes.STRING, allowNull: true });
}

/** Drops the column. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn("flow_runs", "requested_by_slack_user_id");
}
