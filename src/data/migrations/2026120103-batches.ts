import { DataTypes, type QueryInterface } from "sequelize";

/** Bulk actions: one row per batch, one per member (an integration it acts on), with state and outcome. */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("batches", {
    id: { type: DataTypes.STRING, primaryKey: true },
    action: { type: DataTypes.STRING(16), allowNull: false },
    status: { type: DataTypes.STRING(24), allowNull: false },
    requested_by: { type: DataTypes.STRING, allowNull: false },
    requester_slack_user_id: { type: DataTypes.STRING, allowNull: true },
    approved_by: { type: DataTypes.STRING, allowNull: true },
    approver_slack_user_id: { type: DataTypes.STRING, allowNull: true },
    filter_text: { type: DataTypes.TEXT, allowNull: false },
    reason: { type: DataTypes.TEXT, allowNull: true },
    total: { type: DataTypes.INTEGER, allowNull: false },
    apart: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    aborted_by: { type: DataTypes.STRING, allowNull: true },
    undo_of: { type: DataTypes.STRING, allowNull: true },
    undone_by: { type: DataTypes.STRING, allowNull: true },
    channel: { type: DataTypes.STRING, allowNull: true },
    message_ts: { type: DataTypes.STRING, allowNull: true },
    expires_at: { type: DataTypes.DATE, allowNull: true },
    lease_owner: { type: DataTypes.STRING, allowNull: true },
    lease_until: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
    finished_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex("batches", ["status", "lease_until"]);
  await qi.addIndex("batches", ["created_at"]);

  await qi.createTable("batch_members", {
    batch_id: { type: DataTypes.STRING, primaryKey: true, references: { model: "batches", key: "id" } },
    integration_id: { type: DataTypes.STRING, primaryKey: true },
    position: { type: DataTypes.INTEGER, allowNull: false },
    group_id: { type: DataTypes.STRING, allowNull: false },
    name: { type: DataTypes.STRING, allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "pending" },
    outcome: { type: DataTypes.STRING(16), allowNull: true },
    detail: { type: DataTypes.TEXT, allowNull: true },
    run_id: { type: DataTypes.STRING, allowNull: true },
    previous_reason: { type: DataTypes.TEXT, allowNull: true },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex("batch_members", ["batch_id", "state", "position"]);
  await qi.addIndex("batch_members", ["batch_id", "outcome"]);
  await qi.addIndex("batch_members", ["group_id"]);
}

/** Drops the batch tables. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("batch_members");
  await qi.dropTable("batches");
}
