import type { QueryInterface } from "sequelize";

/**
 * An end user's integrations by a plain index on the user, no longer ordered by activity. Every run moves its
 * integration's `activity_at`, and so its entry in each index ordered by it: at 100k integrations each such index
 * costs a batch of 1,000 run events about 35 ms. One user has at most one integration per flow, so `list user:X`
 * sorts a handful of rows; an account, which can hold thousands, keeps its index ordered by activity.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex("integrations", "integrations_embed_user_id_activity");
  await qi.addIndex("integrations", ["embed_user_id"], { name: "integrations_embed_user_id" });
}

/** Puts the index ordered by activity back. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex("integrations", "integrations_embed_user_id");
  await qi.addIndex("integrations", ["embed_user_id", "activity_at", "id"], { name: "integrations_embed_user_id_activity" });
}
