import { DataTypes, type QueryInterface } from "sequelize";

/** Drops slack_posts: every message a job posts goes through the outbox now, whose keys keep it from being posted twice. */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("slack_posts");
}

/** Brings back the empty slack_posts table as the initial schema made it. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("slack_posts", {
    key: { type: DataTypes.STRING, primaryKey: true },
    channel: { type: DataTypes.STRING, allowNull: false },
    ts: { type: DataTypes.STRING, allowNull: false },
    posted_at: { type: DataTypes.DATE, allowNull: false },
  });
}
