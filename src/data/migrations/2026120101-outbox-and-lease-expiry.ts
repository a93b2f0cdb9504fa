import { DataTypes, type QueryInterface } from "sequelize";

/**
 * The outbox (what jobs will post or update in Slack, written with their findings, sent by one sender), an expiry
 * on job leases (kept alive by the holder, so another replica can take over a firing whose holder died), and when
 * the flow engine answered a manual run's request (a run with no answer after the timeout was interrupted).
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("outbox_messages", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    key: { type: DataTypes.STRING(255), allowNull: false, unique: true },
    kind: { type: DataTypes.STRING(16), allowNull: false },
    channel: { type: DataTypes.STRING, allowNull: false },
    target_key: { type: DataTypes.STRING(255), allowNull: true },
    doc: { type: DataTypes.TEXT, allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    claimed_by: { type: DataTypes.STRING, allowNull: true },
    claimed_until: { type: DataTypes.DATE, allowNull: true },
    not_before: { type: DataTypes.DATE, allowNull: true },
    posted_channel: { type: DataTypes.STRING, allowNull: true },
    ts: { type: DataTypes.STRING, allowNull: true },
    error: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    sent_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex("outbox_messages", ["state", "id"], { name: "outbox_messages_state_id" });
  await qi.addColumn("job_leases", "expires_at", { type: DataTypes.DATE, allowNull: true });
  await qi.addColumn("flow_runs", "engine_answered_at", { type: DataTypes.DATE, allowNull: true });
}

/** Drops what `up` added. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn("flow_runs", "engine_answered_at");
  await qi.removeColumn("job_leases", "expires_at");
  await qi.dropTable("outbox_messages");
}
